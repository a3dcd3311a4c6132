// SPDX-License-Identifier: GPL-2.0
/*
 * The agent wire format (see vm_proto.h and vm/README.md).  Linked into both
 * the host and the static guest agent, so it uses libc only.
 */
#include "vm_proto.h"

#include <stdlib.h>
#include <string.h>

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	/* Entry 1 is never 0 once built, so it doubles as the "built" flag. */
	if (!crc_table[1])
		crc_init();
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

uint32_t vmp_crc32(const void *data, size_t len)
{
	return crc_update(0xffffffffu, data, len) ^ 0xffffffffu;
}

static void put_le16(unsigned char *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint32_t get_le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t vmp_encode(uint8_t type, uint32_t seq, const void *payload, size_t len, unsigned char **out)
{
	size_t total = VMP_HEADER_SIZE + len + VMP_TRAILER;
	unsigned char *p;

	*out = NULL;
	if (len > VMP_MAX_PAYLOAD)
		return 0;
	p = malloc(total);
	if (!p)
		return 0;
	memcpy(p, VMP_MAGIC, 4);
	p[4] = VMP_VERSION;
	p[5] = type;
	put_le16(p + 6, 0);
	put_le32(p + 8, seq);
	put_le32(p + 12, (uint32_t)len);
	if (len)
		memcpy(p + VMP_HEADER_SIZE, payload, len);
	put_le32(p + VMP_HEADER_SIZE + len, vmp_crc32(p, VMP_HEADER_SIZE + len));
	*out = p;
	return total;
}

void vmp_decoder_init(struct vmp_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

void vmp_decoder_free(struct vmp_decoder *d)
{
	free(d->buf);
	vmp_decoder_init(d);
}

int vmp_feed(struct vmp_decoder *d, const void *data, size_t len)
{
	if (d->len + len > d->alloc) {
		size_t alloc = d->alloc ? d->alloc : 4096;
		unsigned char *buf;

		while (alloc < d->len + len)
			alloc *= 2;
		buf = realloc(d->buf, alloc);
		if (!buf)
			return -1;
		d->buf = buf;
		d->alloc = alloc;
	}
	if (len)
		memcpy(d->buf + d->len, data, len);
	d->len += len;
	return 0;
}

/*
 * Whether the bytes at p (n of them, possibly fewer than a header) can still
 * be the start of a frame.
 */
static int header_plausible(const unsigned char *p, size_t n)
{
	size_t m = n < 4 ? n : 4;

	if (memcmp(p, VMP_MAGIC, m))
		return 0;
	if (n > 4 && p[4] != VMP_VERSION)
		return 0;
	if (n >= VMP_HEADER_SIZE && get_le32(p + 12) > VMP_MAX_PAYLOAD)
		return 0;
	return 1;
}

int vmp_next(struct vmp_decoder *d, struct vmp_frame *f)
{
	size_t off = 0;
	int found = 0;

	while (off < d->len) {
		const unsigned char *p = d->buf + off;
		size_t avail = d->len - off;
		size_t len, total;

		if (!header_plausible(p, avail)) {
			/* Jump to the next possible magic; every byte passed is skipped. */
			const unsigned char *m = memchr(p + 1, VMP_MAGIC[0], avail - 1);
			size_t step = m ? (size_t)(m - p) : avail;

			d->skipped += step;
			off += step;
			continue;
		}
		if (avail < VMP_HEADER_SIZE)
			break;
		len = get_le32(p + 12);
		total = VMP_HEADER_SIZE + len + VMP_TRAILER;
		if (avail < total)
			break;
		if (vmp_crc32(p, VMP_HEADER_SIZE + len) != get_le32(p + VMP_HEADER_SIZE + len)) {
			d->bad_crc++;
			d->skipped++;
			off++;
			continue;
		}
		f->payload = malloc(len + 1);
		if (!f->payload)
			break;
		memcpy(f->payload, p + VMP_HEADER_SIZE, len);
		f->payload[len] = '\0';
		f->len = len;
		f->type = p[5];
		f->seq = get_le32(p + 8);
		off += total;
		found = 1;
		break;
	}
	if (off) {
		memmove(d->buf, d->buf + off, d->len - off);
		d->len -= off;
	}
	return found;
}
