/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOLAB_VM_PROTO_H
#define IOLAB_VM_PROTO_H

/*
 * The host <-> guest agent wire format, shared by both sides (the agent is
 * built from this same file).  It is deliberately self-contained: no
 * util.c, no OpenSSL, so the static agent stays small.
 *
 * A frame:  "IOLB" | version u8 | type u8 | reserved u16 | seq u32 | len u32
 *           | payload (len bytes, a JSON object) | crc32 u32 over all before it
 * Integers are little-endian.  A reader that meets a bad magic, length or
 * checksum skips one byte and looks for the next "IOLB", so console noise or
 * a torn write can never be taken for a result.  See vm/README.md.
 */
#include <stddef.h>
#include <stdint.h>

#define VMP_MAGIC       "IOLB"
#define VMP_VERSION     1
#define VMP_HEADER_SIZE 16
#define VMP_TRAILER     4
/* fio JSON and command output are bounded well below this. */
#define VMP_MAX_PAYLOAD (64u << 20)
/* The virtio-serial port name both sides agree on. */
#define VMP_PORT_NAME "org.iolab.agent"

enum vmp_type {
	VMP_REQUEST = 1,  /* host -> guest: {"op": ..., ...} */
	VMP_RESPONSE = 2, /* guest -> host: {"ok": true|false, ...}, same seq */
	VMP_EVENT = 3,    /* guest -> host, unsolicited: {"event": "ready", ...} */
};

struct vmp_frame {
	uint8_t type;
	uint32_t seq;
	char *payload; /* NUL-terminated copy, owned by the caller after decode */
	size_t len;
};

struct vmp_decoder {
	unsigned char *buf;
	size_t len;
	size_t alloc;
	/* Bytes discarded while hunting for a frame (console noise, corruption). */
	unsigned long skipped;
	/* Frames whose header looked right but whose checksum did not match. */
	unsigned long bad_crc;
};

uint32_t vmp_crc32(const void *data, size_t len);

/*
 * Encodes one frame into a malloc'd buffer; returns its size, or 0 when the
 * payload is too large or memory runs out.
 */
size_t vmp_encode(uint8_t type, uint32_t seq, const void *payload, size_t len, unsigned char **out);

void vmp_decoder_init(struct vmp_decoder *d);
void vmp_decoder_free(struct vmp_decoder *d);
/* Appends received bytes; returns -1 when out of memory. */
int vmp_feed(struct vmp_decoder *d, const void *data, size_t len);
/*
 * Takes the next complete, verified frame out of the buffer.
 * Returns 1 and fills f (free f->payload), or 0 when more bytes are needed.
 */
int vmp_next(struct vmp_decoder *d, struct vmp_frame *f);

#endif
