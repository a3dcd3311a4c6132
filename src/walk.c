// SPDX-License-Identifier: GPL-2.0
/*
 * A series walk without VMs: which points, in which order, which cell a
 * bisect follows and where the bisect looks next.  walk_run.c drives
 * builds and VMs with these; the unit tests drive them with fixtures.
 */
#include "walk.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- points ---- */

char *walk_point_name(long upto)
{
	return upto == 0 ? xstrdup("base") : xasprintf("p%ld", upto);
}

long walk_point_upto(const char *name)
{
	char *end;
	long v;

	if (!strcmp(name, "base"))
		return 0;
	if (name[0] != 'p' || !isdigit((unsigned char)name[1]))
		return -1;
	errno = 0;
	v = strtol(name + 1, &end, 10);
	return *end || errno || v < 1 ? -1 : v;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* A patch number of the list: 1..npatches, or base. */
static int parse_one(const char *tok, size_t npatches, long *v)
{
	char *end;

	if (!strcmp(tok, "base")) {
		*v = 0;
		return 0;
	}
	errno = 0;
	*v = strtol(tok, &end, 10);
	if (!isdigit((unsigned char)*tok) || *end || errno)
		return error("--at: '%s' is not a patch number (1 to %zu) or 'base'", tok,
		             npatches);
	if (*v < 1 || (size_t)*v > npatches)
		return error("--at: patch %ld is outside the series (1 to %zu)", *v, npatches);
	return 0;
}

int walk_points_parse(const char *at, size_t npatches, long **upto, size_t *n)
{
	struct strvec toks = STRVEC_INIT;
	long *v = xcalloc(npatches + 2, sizeof(*v));
	size_t k = 1;
	int ret = 0;

	*upto = NULL;
	*n = 0;
	if (!npatches) {
		free(v);
		return error("the series has no patches: nothing to walk");
	}
	/* Base is where every change is measured from: always a point. */
	v[0] = 0;
	if (!at || !*at) {
		for (size_t i = 1; i <= npatches; i++)
			v[k++] = (long)i;
		goto done;
	}
	sv_split(&toks, at, ", ");
	if (!toks.n)
		ret = error("--at '%s' names no point (e.g. --at 9,12 or --at 1-4,12)", at);
	for (size_t i = 0; ret == 0 && i < toks.n; i++) {
		char *dash = strchr(toks.v[i], '-');
		long a, b;

		if (dash) {
			if (dash == toks.v[i] || !dash[1]) {
				ret = error("--at: '%s' is not a range (like 1-4)", toks.v[i]);
				break;
			}
			*dash = '\0';
			if (parse_one(toks.v[i], npatches, &a) < 0 ||
			    parse_one(dash + 1, npatches, &b) < 0) {
				ret = -1;
				break;
			}
			if (b < a) {
				ret = error("--at: the range %s-%s runs backwards", toks.v[i],
				            dash + 1);
				break;
			}
		} else if (parse_one(toks.v[i], npatches, &a) < 0) {
			ret = -1;
			break;
		} else {
			b = a;
		}
		for (long p = a; p <= b; p++) {
			for (size_t j = 0; j < k; j++)
				if (v[j] == p && p != 0) {
					ret = error("--at: patch %ld is named twice", p);
					break;
				}
			if (ret < 0)
				break;
			if (p != 0)
				v[k++] = p;
		}
	}
	if (ret < 0) {
		free(v);
		sv_clear(&toks);
		return -1;
	}
	qsort(v + 1, k - 1, sizeof(*v), cmp_long);
done:
	sv_clear(&toks);
	*upto = v;
	*n = k;
	return 0;
}

/* ---- the schedule ---- */

/* One boot: point k on (device d, fs f), its repetitions [from, to). */
static void round_group(struct bench_group *x, const struct matrix *m, const struct cell *cells,
                        size_t ncells, size_t k, size_t d, size_t f, long from, long to,
                        const char *tag, long round)
{
	struct strbuf id = STRBUF_INIT;
	char *cells_group;

	x->kernel = m->kernels[k].name;
	x->device = m->devices.v[d];
	x->fs = m->fs[f].name;
	cells_group = xasprintf("%s/%s/%s", x->kernel, x->device, x->fs);
	/* Each boot needs an id of its own: its directory and its row in the store. */
	sb_adds(&id, cells_group);
	if (tag)
		sb_addf(&id, "/%s", tag);
	if (round)
		sb_addf(&id, "/round%ld", round);
	x->id = sb_detach(&id);
	bench_group_add_steps(x, cells_group, cells, ncells, from, to);
	free(cells_group);
}

size_t walk_schedule(const struct matrix *m, const struct cell *cells, size_t ncells,
                     const size_t *kernels, const long *first_rep, size_t nkernels, long rounds,
                     const char *tag, struct bench_group **groups)
{
	long reps = m->repetitions;
	size_t per_round = m->devices.n * m->nfs * nkernels, at = 0;
	struct bench_group *g;

	if (rounds < 1 || rounds > reps)
		rounds = reps;
	g = xcalloc(per_round * (size_t)rounds + 1, sizeof(*g));
	for (long r = 0; r < rounds; r++) {
		/* Round r takes repetitions [from, to): an even share, the remainder spread. */
		long from = r * reps / rounds, to = (r + 1) * reps / rounds;

		for (size_t d = 0; d < m->devices.n; d++)
			for (size_t f = 0; f < m->nfs; f++)
				for (size_t i = 0; i < nkernels; i++) {
					/* Forward, backward, forward: linear drift evens out. */
					size_t a = r % 2 ? nkernels - 1 - i : i;
					long rep0 = first_rep ? first_rep[a] : 0;

					round_group(&g[at++], m, cells, ncells, kernels[a], d, f,
					            rep0 + from, rep0 + to, tag,
					            rounds > 1 ? r + 1 : 0);
				}
	}
	*groups = g;
	return at;
}

/* ---- the cell ---- */

char *walk_cell_key(const char *cell_id)
{
	const char *slash = strchr(cell_id, '/');

	return xstrdup(slash ? slash + 1 : cell_id);
}

/* Whether spec's components are the last ones of key's; sizes compare as sizes. */
static bool key_matches(const char *key, const struct strvec *spec)
{
	struct strvec k = STRVEC_INIT;
	bool ok;

	sv_split(&k, key, "/");
	ok = spec->n <= k.n;
	for (size_t i = 0; ok && i < spec->n; i++) {
		const char *a = k.v[k.n - spec->n + i], *b = spec->v[i];

		/* The block size is the component before the path. */
		if (i == spec->n - 2 && k.n - spec->n + i == k.n - 2)
			ok = parse_size(a) > 0 && parse_size(a) == parse_size(b);
		else
			ok = !strcmp(a, b);
	}
	sv_clear(&k);
	return ok;
}

ssize_t walk_cell_match(const struct cell *cells, size_t ncells, const char *spec)
{
	struct strvec sp = STRVEC_INIT, hits = STRVEC_INIT, all = STRVEC_INIT;
	ssize_t found = -1;

	sv_split(&sp, spec, "/");
	for (size_t i = 0; i < ncells; i++) {
		char *key = walk_cell_key(cells[i].id);

		if (!sv_contains(&all, key))
			sv_push(&all, key);
		if (sp.n >= 3 && key_matches(key, &sp) && !sv_contains(&hits, key)) {
			sv_push(&hits, key);
			if (found < 0)
				found = (ssize_t)i;
		}
		free(key);
	}
	if (hits.n != 1) {
		struct strbuf sb = STRBUF_INIT;
		const struct strvec *list = hits.n ? &hits : &all;

		for (size_t i = 0; i < list->n && i < 12; i++)
			sb_addf(&sb, "%s%s", i ? ", " : "", list->v[i]);
		if (list->n > 12)
			sb_adds(&sb, ", ...");
		if (sp.n < 3)
			error("--bisect %s: name a cell as WORKLOAD/BS/PATH (the walk's cells: %s)",
			      spec, sb.buf);
		else if (hits.n)
			error("--bisect %s is ambiguous: %s; give its device and fs config too",
			      spec, sb.buf);
		else
			error("--bisect %s: no such cell in the walk (its cells: %s)", spec,
			      sb.buf);
		sb_release(&sb);
		found = -1;
	}
	sv_clear(&sp);
	sv_clear(&hits);
	sv_clear(&all);
	return found;
}

/* ---- bisect ---- */

bool walk_moves(const struct stats_comparison *c, double threshold_pct, int direction)
{
	if (c->verdict != STATS_SIGNIFICANT || !isfinite(c->change_pct))
		return false;
	/* Beyond means beyond: a change of exactly the threshold does not count. */
	if (fabs(c->change_pct) <= threshold_pct)
		return false;
	return direction == 0 || (direction < 0) == (c->change_pct < 0);
}

void walk_bisect_init(struct walk_bisect *b, size_t npoints, double threshold_pct)
{
	memset(b, 0, sizeof(*b));
	b->n = npoints;
	b->threshold_pct = threshold_pct;
	b->pt = xcalloc(npoints ? npoints : 1, sizeof(*b->pt));
	b->end = npoints ? npoints - 1 : 0;
}

const char *walk_verdict_name(enum walk_verdict v)
{
	switch (v) {
	case WALK_UNTESTED:
		return "untested";
	case WALK_BROKEN:
		return "does not build";
	case WALK_TOO_FEW:
		return "too few samples";
	case WALK_SAME:
		return "does not move";
	case WALK_MOVED:
		return "moves";
	}
	return "?";
}

void walk_bisect_free(struct walk_bisect *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->pt[i].x);
		free(b->pt[i].base_x);
	}
	free(b->pt);
	free(b->why);
	memset(b, 0, sizeof(*b));
}

static bool skipped(const struct walk_bisect_point *p)
{
	return p->v == WALK_BROKEN || p->v == WALK_TOO_FEW;
}

static void settle(struct walk_bisect *b, enum walk_bisect_state s, char *why)
{
	b->state = s;
	free(b->why);
	b->why = why;
}

static double *dup_samples(const double *x, size_t n)
{
	double *c = xcalloc(n ? n : 1, sizeof(*c));

	if (n)
		memcpy(c, x, n * sizeof(*x));
	return c;
}

void walk_bisect_feed(struct walk_bisect *b, size_t point, const double *x, size_t n,
                      const double *base_x, size_t base_n, bool broken)
{
	struct walk_bisect_point *p;

	if (point >= b->n)
		return;
	p = &b->pt[point];
	if (p->v == WALK_UNTESTED)
		b->ntested++;
	free(p->x);
	free(p->base_x);
	p->x = p->base_x = NULL;
	p->n = p->base_n = 0;
	p->have_cmp = false;
	if (broken) {
		p->v = WALK_BROKEN;
		return;
	}
	p->x = dup_samples(x, n);
	p->n = n;
	if (base_x) {
		p->base_x = dup_samples(base_x, base_n);
		p->base_n = base_n;
	}
	p->v = n < STATS_MIN_SAMPLES ? WALK_TOO_FEW : WALK_SAME;
	/* Points after base are judged when base is known: see classify(). */
}

/* Point p against the base samples taken beside it, else base's first ones. */
static bool compare_to_base(const struct walk_bisect *b, struct walk_bisect_point *p)
{
	const struct walk_bisect_point *base = &b->pt[0];
	const double *bx = p->base_x ? p->base_x : base->x;
	size_t bn = p->base_x ? p->base_n : base->n;

	p->have_cmp = bn > 0 && stats_compare(bx, bn, p->x, p->n, STATS_ALPHA, &p->cmp) == 0;
	return p->have_cmp;
}

/* Compares every measured point with base and sorts it into SAME or MOVED. */
static void classify(struct walk_bisect *b)
{
	for (size_t i = 1; i < b->n; i++) {
		struct walk_bisect_point *p = &b->pt[i];

		if (p->v != WALK_SAME && p->v != WALK_MOVED)
			continue;
		p->v = compare_to_base(b, p) && walk_moves(&p->cmp, b->threshold_pct, b->direction)
		               ? WALK_MOVED
		               : WALK_SAME;
	}
}

/* The untested point of (lo, hi) nearest its middle (the later one first), or 0: none. */
static size_t middle(const struct walk_bisect *b, size_t lo, size_t hi)
{
	size_t mid = lo + (hi - lo) / 2;

	/* Offsets 0, +1, -1, +2, -2...: a point that does not build is stepped around. */
	for (size_t d = 0; d <= hi - lo; d++) {
		size_t c;

		if (d % 2)
			c = mid + (d + 1) / 2;
		else if (d / 2 <= mid)
			c = mid - d / 2;
		else
			continue;
		if (c > lo && c < hi && b->pt[c].v == WALK_UNTESTED)
			return c;
	}
	return 0;
}

size_t walk_bisect_next(struct walk_bisect *b, size_t out[2])
{
	struct walk_bisect_point *base = &b->pt[0];
	size_t k = 0, lo = 0, hi;

	if (b->state != WALK_BISECT_RUNNING)
		return 0;
	if (b->n < 2) {
		settle(b, WALK_BISECT_INCONCLUSIVE, xstrdup("a bisect needs base and a patch"));
		return 0;
	}
	/* The far end: the last point that builds and gives a verdict. */
	while (b->end > 0 && skipped(&b->pt[b->end]))
		b->end--;
	if (base->v == WALK_UNTESTED)
		out[k++] = 0;
	if (b->end > 0 && b->pt[b->end].v == WALK_UNTESTED)
		out[k++] = b->end;
	if (k)
		return k;
	if (skipped(base)) {
		settle(b, WALK_BISECT_INCONCLUSIVE,
		       xstrdup(base->v == WALK_BROKEN ? "base does not build"
		                                      : "base has too few good samples"));
		return 0;
	}
	if (b->end == 0) {
		settle(b, WALK_BISECT_INCONCLUSIVE,
		       xstrdup("no point after base builds with enough good samples"));
		return 0;
	}
	if (!b->direction) {
		struct walk_bisect_point *e = &b->pt[b->end];

		if (!compare_to_base(b, e) || !walk_moves(&e->cmp, b->threshold_pct, 0)) {
			settle(b, WALK_BISECT_NO_CHANGE,
			       e->have_cmp
			               ? xasprintf("base and point %zu differ by %+.1f%% (p=%.3g), "
			                           "not beyond %.3g%% with significance: nothing "
			                           "to bisect",
			                           b->end, e->cmp.change_pct, e->cmp.p,
			                           b->threshold_pct)
			               : xstrdup("base and the series' end cannot be compared"));
			return 0;
		}
		b->direction = e->cmp.change_pct < 0 ? -1 : 1;
	}
	classify(b);
	/* hi: the first point that moves; lo: the last one before it that does not. */
	hi = b->end;
	for (size_t i = 1; i <= b->end; i++)
		if (b->pt[i].v == WALK_MOVED) {
			hi = i;
			break;
		}
	for (size_t i = 1; i < hi; i++)
		if (b->pt[i].v == WALK_SAME)
			lo = i;
	b->lo = lo;
	b->hi = hi;
	out[0] = middle(b, lo, hi);
	if (out[0])
		return 1;
	settle(b, WALK_BISECT_FOUND, NULL);
	return 0;
}
