// SPDX-License-Identifier: GPL-2.0
/*
 * What goes into a guest image: the package table and the key derived from
 * a resolved recipe.
 */
#include "image.h"

#include <stdlib.h>
#include <string.h>

/*
 * The one list of Debian packages an image is assembled from; apt adds
 * their dependency closure.  A row's why is also what `iolab image
 * packages` prints, so it has to stay true.
 */
const struct image_pkg image_packages[] = {
        {"fio", "default", "the benchmark engine; trixie's 3.39 maps uncached=1 to RWF_DONTCACHE"},
        {"e2fsprogs", "default",
         "mkfs.ext4, e2fsck, tune2fs, debugfs for the ext4 under test (1.47)"},
        {"xfsprogs", "default",
         "xfs_io: fstests' I/O tool, and the lab's quick writes and extent maps"},
        {"util-linux", "default", "losetup, blkdiscard, fallocate, lsblk, findmnt for disk set-up"},
        {"mount", "default", "mount/umount with ext4's -o buffered_iomap (split from util-linux)"},
        {"coreutils", "default", "dd, sync, stat and the rest every script assumes"},
        {"bash", "default", "the shell of fstests and of the agent's commands; also /bin/sh"},
        {"procps", "default", "sysctl (vm.drop_caches), ps, free, vmstat while a job runs"},
        {"kmod", "default", "modprobe, in case a guest kernel builds a driver as a module"},
        {"findutils", "default", "find and xargs, which fstests uses throughout"},
        {"grep", "default", "fstests and the agent's checks filter command output"},
        {"sed", "default", "fstests filters (the _filter_* helpers) are sed scripts"},
        {"gawk", "default", "fstests' $AWK_PROG; awk is linked to it (no alternatives here)"},
        {"psmisc", "default", "fuser and killall, used by fstests before unmounting"},
        {"attr", "default", "getfattr/setfattr for fstests' xattr tests"},
        {"acl", "default", "getfacl/setfacl for fstests' ACL tests"},
        {"busybox-static", "minimal",
         "one static package: a shell for pipeline and boot smoke tests"},
        /* fstests' runtime (README "BUILDING THE FSQA SUITE", common/config's _fatal checks). */
        {"bc", "fstests", "check refuses to start without bc ($BC_PROG)"},
        {"diffutils", "fstests", "check compares each test's output with the expected one"},
        {"perl", "fstests", "check refuses to start without perl; tests use its one-liners"},
        {"hostname", "fstests", "common/config sets HOST from hostname -s"},
        {"bsdutils", "fstests", "logger: check logs each test it starts"},
        {"python3", "fstests", "helper scripts of some tests ($PYTHON3_PROG)"},
        {"quota", "fstests", "quota, setquota, repquota for the quota group"},
        {"dbench", "fstests", "the load some generic tests run"},
        {"dump", "fstests", "dump/restore for ext4/004"},
        {"keyutils", "fstests", "keyctl for the encryption tests' keys"},
        {"uuid-runtime", "fstests", "uuidgen ($UUIDGEN_PROG)"},
        {"libcap2-bin", "fstests", "setcap/getcap for the capability tests"},
        {"dmsetup", "fstests", "dm-flakey and dm-error tests, when the kernel has device-mapper"},
        {"xz-utils", "fstests", "xz ($XZ_PROG), which some tests compress images with"},
        {"libaio1t64", "fstests", "linked by fstests' aio-dio-regress programs"},
        {"liburing2", "fstests", "linked by fsstress and fsx for io_uring"},
        {"libcap2", "fstests", "linked by fstests' capability helpers"},
        {"libgdbm-compat4t64", "fstests", "linked by dbtest"},
        {"libuuid1", "fstests", "linked by fstests' uuid helpers"},
        /* Building fstests in a chroot of the same suite (iolab fstests). */
        {"build-essential", "fstests-build", "gcc and make for fstests' C programs"},
        {"autoconf", "fstests-build", "fstests generates its configure script"},
        {"automake", "fstests-build", "aclocal for fstests' configure"},
        {"libtool", "fstests-build", "libtoolize, run by fstests' Makefile"},
        {"libtool-bin", "fstests-build", "the libtool fstests' build links with"},
        {"pkg-config", "fstests-build", "configure's library checks"},
        {"xfslibs-dev", "fstests-build", "xfs/xfs.h and libhandle, which configure requires"},
        {"uuid-dev", "fstests-build", "uuid/uuid.h, which configure requires"},
        {"libattr1-dev", "fstests-build", "attr/attributes.h for the xattr helpers"},
        {"libacl1-dev", "fstests-build", "sys/acl.h, which configure requires"},
        {"libaio-dev", "fstests-build", "the aio-dio-regress programs"},
        {"liburing-dev", "fstests-build", "io_uring in fsstress and fsx"},
        {"libgdbm-dev", "fstests-build", "fstests' dbtest program links against gdbm"},
        {"libgdbm-compat-dev", "fstests-build", "the ndbm interface dbtest uses"},
        {"libcap-dev", "fstests-build", "the capability helpers"},
};
const size_t image_packages_count = ARRAY_SIZE(image_packages);

/*
 * A set that extends another: the fstests image is the default one plus
 * fstests' runtime, and fstests is built against the default userland.
 */
static const struct {
	const char *set, *base;
} set_bases[] = {
        {"fstests", "default"},
        {"fstests-build", "default"},
};

int image_set_packages(const char *set, struct strvec *out)
{
	size_t before = out->n;

	for (size_t i = 0; i < ARRAY_SIZE(set_bases); i++)
		if (!strcmp(set_bases[i].set, set) &&
		    image_set_packages(set_bases[i].base, out) < 0)
			return -1;

	for (size_t i = 0; i < image_packages_count; i++)
		if (!strcmp(image_packages[i].set, set) &&
		    !sv_contains(out, image_packages[i].name))
			sv_push(out, image_packages[i].name);
	if (out->n == before) {
		struct strvec sets = STRVEC_INIT;
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < image_packages_count; i++)
			if (!sv_contains(&sets, image_packages[i].set)) {
				sv_push(&sets, image_packages[i].set);
				sb_addf(&sb, "%s%s", sets.n > 1 ? ", " : "", image_packages[i].set);
			}
		error("no package set called '%s'; the sets are: %s", set, sb.buf);
		sv_clear(&sets);
		sb_release(&sb);
		return -1;
	}
	return 0;
}

const char *image_pkg_version(const struct strvec *resolved, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < resolved->n; i++)
		if (!strncmp(resolved->v[i], name, len) && resolved->v[i][len] == '=')
			return resolved->v[i] + len + 1;
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hashes a list as a set: the order apt or the user gave it in is not content. */
static void hash_sorted(struct hasher *h, const char *label, const struct strvec *sv)
{
	struct strvec copy = STRVEC_INIT;

	for (size_t i = 0; sv && i < sv->n; i++)
		sv_push(&copy, sv->v[i]);
	if (copy.n)
		qsort(copy.v, copy.n, sizeof(*copy.v), cmp_str);
	for (size_t i = 0; i < copy.n; i++)
		hasher_field(h, label, copy.v[i]);
	sv_clear(&copy);
}

void image_key(const struct image_recipe *r, char out[65])
{
	struct hasher *h = hasher_new();
	char ver[16];

	snprintf(ver, sizeof(ver), "%d", IMAGE_RECIPE_VERSION);
	hasher_field(h, "recipe", ver);
	hasher_field(h, "suite", r->suite);
	hasher_field(h, "set", r->set);
	hash_sorted(h, "extra", r->extra);
	hash_sorted(h, "package", r->resolved);
	hasher_field(h, "agent", r->agent_sha256);
	/* Only when present, so that images without one keep their keys. */
	if (r->overlay_id)
		hasher_field(h, "overlay", r->overlay_id);
	hasher_final(h, out);
}
