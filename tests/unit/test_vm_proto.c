// SPDX-License-Identifier: GPL-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vm_proto.h"

struct bytes {
	unsigned char *p;
	size_t len;
};

static struct bytes frame(uint8_t type, uint32_t seq, const char *payload)
{
	struct bytes b;

	b.len = vmp_encode(type, seq, payload, strlen(payload), &b.p);
	assert_true(b.len == VMP_HEADER_SIZE + strlen(payload) + VMP_TRAILER);
	return b;
}

/* Concatenates a NULL-terminated list of byte strings. */
static struct bytes join(const struct bytes *parts, size_t n)
{
	struct bytes all = {NULL, 0};

	for (size_t i = 0; i < n; i++)
		all.len += parts[i].len;
	all.p = malloc(all.len ? all.len : 1);
	all.len = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(all.p + all.len, parts[i].p, parts[i].len);
		all.len += parts[i].len;
	}
	return all;
}

static void expect_frame(struct vmp_decoder *d, uint8_t type, uint32_t seq, const char *payload)
{
	struct vmp_frame f;

	assert_int_equal(vmp_next(d, &f), 1);
	assert_int_equal(f.type, type);
	assert_int_equal(f.seq, seq);
	assert_int_equal(f.len, strlen(payload));
	assert_string_equal(f.payload, payload);
	free(f.payload);
}

static void expect_nothing(struct vmp_decoder *d)
{
	struct vmp_frame f;

	assert_int_equal(vmp_next(d, &f), 0);
}

static void test_crc32_check_value(void **state)
{
	/* The standard check value of CRC-32/IEEE (zlib's crc32). */
	assert_int_equal(vmp_crc32("123456789", 9), 0xcbf43926u);
	assert_int_equal(vmp_crc32("", 0), 0);
}

static void test_layout(void **state)
{
	struct bytes b = frame(VMP_RESPONSE, 0x01020304, "{}");

	assert_memory_equal(b.p, "IOLB", 4);
	assert_int_equal(b.p[4], VMP_VERSION);
	assert_int_equal(b.p[5], VMP_RESPONSE);
	assert_int_equal(b.p[6] | b.p[7], 0);
	assert_memory_equal(b.p + 8, "\x04\x03\x02\x01", 4);
	assert_memory_equal(b.p + 12, "\x02\x00\x00\x00", 4);
	assert_memory_equal(b.p + 16, "{}", 2);
	uint32_t crc = vmp_crc32(b.p, 18);
	unsigned char le[4] = {crc & 0xff, (crc >> 8) & 0xff, (crc >> 16) & 0xff, crc >> 24};

	assert_memory_equal(b.p + 18, le, 4);
	free(b.p);
}

static void test_round_trip(void **state)
{
	static const char *const payloads[] = {"", "{}", "{\"op\":\"hello\"}",
	                                       "{\"s\":\"IOLBIOLB\\u0000\"}"};
	struct vmp_decoder d;

	vmp_decoder_init(&d);
	for (size_t i = 0; i < 4; i++) {
		struct bytes b = frame(VMP_EVENT - i % 3, (uint32_t)i * 77, payloads[i]);

		assert_int_equal(vmp_feed(&d, b.p, b.len), 0);
		expect_frame(&d, VMP_EVENT - i % 3, (uint32_t)i * 77, payloads[i]);
		expect_nothing(&d);
		free(b.p);
	}
	assert_int_equal(d.skipped, 0);
	assert_int_equal(d.bad_crc, 0);
	vmp_decoder_free(&d);
}

static void test_large_payload(void **state)
{
	size_t n = 3u << 20;
	char *big = malloc(n + 1);
	struct vmp_decoder d;
	struct vmp_frame f;
	unsigned char *p;
	size_t len;

	for (size_t i = 0; i < n; i++)
		big[i] = 'a' + i % 26;
	big[n] = '\0';
	len = vmp_encode(VMP_RESPONSE, 9, big, n, &p);
	vmp_decoder_init(&d);
	/* In uneven chunks, as a socket delivers it. */
	for (size_t off = 0; off < len; off += 65521)
		vmp_feed(&d, p + off, len - off < 65521 ? len - off : 65521);
	assert_int_equal(vmp_next(&d, &f), 1);
	assert_int_equal(f.len, n);
	assert_memory_equal(f.payload, big, n);
	free(f.payload);
	free(p);
	free(big);
	vmp_decoder_free(&d);
}

static void test_split_everywhere(void **state)
{
	struct bytes parts[2] = {frame(VMP_REQUEST, 1, "{\"op\":\"hello\"}"),
	                         frame(VMP_RESPONSE, 2, "{\"ok\":true}")};
	struct bytes all = join(parts, 2);

	for (size_t cut = 0; cut <= all.len; cut++) {
		struct vmp_decoder d;
		size_t got = 0;
		struct vmp_frame f;

		vmp_decoder_init(&d);
		vmp_feed(&d, all.p, cut);
		while (vmp_next(&d, &f)) {
			free(f.payload);
			got++;
		}
		/* Only frames wholly inside the first piece come out early. */
		assert_int_equal(got, (cut >= parts[0].len) + (cut == all.len));
		vmp_feed(&d, all.p + cut, all.len - cut);
		if (got == 0)
			expect_frame(&d, VMP_REQUEST, 1, "{\"op\":\"hello\"}");
		if (got < 2)
			expect_frame(&d, VMP_RESPONSE, 2, "{\"ok\":true}");
		expect_nothing(&d);
		assert_int_equal(d.skipped, 0);
		vmp_decoder_free(&d);
	}
	free(parts[0].p);
	free(parts[1].p);
	free(all.p);
}

static void test_byte_at_a_time(void **state)
{
	struct bytes b = frame(VMP_EVENT, 0, "{\"event\":\"ready\"}");
	struct vmp_decoder d;
	struct vmp_frame f;

	vmp_decoder_init(&d);
	for (size_t i = 0; i < b.len; i++) {
		assert_int_equal(vmp_next(&d, &f), 0);
		vmp_feed(&d, b.p + i, 1);
	}
	expect_frame(&d, VMP_EVENT, 0, "{\"event\":\"ready\"}");
	free(b.p);
	vmp_decoder_free(&d);
}

static void test_noise(void **state)
{
	static const char noise1[] = "[    1.234] virtio_console: IOL IO I\r\n";
	/* Looks like a header, but carries a version this decoder does not speak. */
	static const char noise2[] = "IOLB\x07\x02\x00\x00";
	struct bytes parts[5] = {
	        {(unsigned char *)noise1, sizeof(noise1) - 1}, frame(VMP_RESPONSE, 5, "{\"a\":1}"),
	        {(unsigned char *)noise2, sizeof(noise2) - 1}, {(unsigned char *)"IO", 2},
	        frame(VMP_RESPONSE, 6, "{\"b\":2}"),
	};
	struct bytes all = join(parts, 5);
	struct vmp_decoder d;

	vmp_decoder_init(&d);
	vmp_feed(&d, all.p, all.len);
	expect_frame(&d, VMP_RESPONSE, 5, "{\"a\":1}");
	expect_frame(&d, VMP_RESPONSE, 6, "{\"b\":2}");
	expect_nothing(&d);
	assert_int_equal(d.skipped, parts[0].len + parts[2].len + parts[3].len);
	assert_int_equal(d.bad_crc, 0);

	/* A trailing partial magic is kept: it may be the start of a frame. */
	vmp_feed(&d, "xxIOL", 5);
	expect_nothing(&d);
	assert_int_equal(d.len, 3);
	vmp_decoder_free(&d);
	free(parts[1].p);
	free(parts[4].p);
	free(all.p);
}

/* A flipped bit anywhere but in the length field: the frame is dropped, the next one is not. */
static void test_flipped_bits(void **state)
{
	struct bytes parts[2] = {frame(VMP_RESPONSE, 7, "{\"stdout\":\"IOLB inside\"}"),
	                         frame(VMP_RESPONSE, 8, "{\"ok\":true}")};
	struct bytes all = join(parts, 2);

	for (size_t bit = 0; bit < parts[0].len * 8; bit++) {
		struct vmp_decoder d;
		size_t byte = bit / 8;

		if (byte >= 12 && byte < 16)
			continue;
		all.p[byte] ^= 1u << (bit % 8);
		vmp_decoder_init(&d);
		vmp_feed(&d, all.p, all.len);
		expect_frame(&d, VMP_RESPONSE, 8, "{\"ok\":true}");
		expect_nothing(&d);
		/* Magic and version errors are plain skips; anything else fails the CRC. */
		assert_int_equal(d.bad_crc, byte < 5 ? 0 : 1);
		assert_true(d.skipped >= 1);
		vmp_decoder_free(&d);
		all.p[byte] ^= 1u << (bit % 8);
	}
	free(parts[0].p);
	free(parts[1].p);
	free(all.p);
}

/* A corrupted length makes the decoder wait for more, then fail the CRC and resync. */
static void test_flipped_length(void **state)
{
	struct bytes parts[2] = {frame(VMP_RESPONSE, 1, "{\"x\":1}"),
	                         frame(VMP_RESPONSE, 2, "{\"y\":2}")};
	struct bytes all = join(parts, 2);
	unsigned char pad[300];
	struct vmp_decoder d;

	memset(pad, 0, sizeof(pad));
	all.p[12] ^= 0x80; /* length 7 -> 135 */
	vmp_decoder_init(&d);
	vmp_feed(&d, all.p, all.len);
	expect_nothing(&d);
	vmp_feed(&d, pad, sizeof(pad));
	expect_frame(&d, VMP_RESPONSE, 2, "{\"y\":2}");
	assert_int_equal(d.bad_crc, 1);
	vmp_decoder_free(&d);
	free(parts[0].p);
	free(parts[1].p);
	free(all.p);
}

static void test_oversize(void **state)
{
	struct bytes ok = frame(VMP_RESPONSE, 3, "{}");
	unsigned char hdr[VMP_HEADER_SIZE] = "IOLB\x01\x02\x00\x00\x01\x00\x00\x00";
	uint32_t len = VMP_MAX_PAYLOAD + 1;
	struct vmp_decoder d;
	unsigned char *p;

	/* The encoder refuses without allocating the payload it was given. */
	assert_int_equal(vmp_encode(VMP_RESPONSE, 1, "", (size_t)VMP_MAX_PAYLOAD + 1, &p), 0);
	assert_null(p);

	for (int i = 0; i < 4; i++)
		hdr[12 + i] = (len >> (8 * i)) & 0xff;
	vmp_decoder_init(&d);
	vmp_feed(&d, hdr, sizeof(hdr));
	vmp_feed(&d, ok.p, ok.len);
	/* No waiting for 64 MiB that will never come: the header is refused at once. */
	expect_frame(&d, VMP_RESPONSE, 3, "{}");
	assert_int_equal(d.skipped, sizeof(hdr));
	vmp_decoder_free(&d);
	free(ok.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_crc32_check_value),
	        cmocka_unit_test(test_layout),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_large_payload),
	        cmocka_unit_test(test_split_everywhere),
	        cmocka_unit_test(test_byte_at_a_time),
	        cmocka_unit_test(test_noise),
	        cmocka_unit_test(test_flipped_bits),
	        cmocka_unit_test(test_flipped_length),
	        cmocka_unit_test(test_oversize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
