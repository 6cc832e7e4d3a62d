/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A minimal NBD client for hosts without the kernel's NBD driver: the
 * fixed-newstyle handshake with an export name, one read served from the
 * export, and then the connection held open (so the server's
 * per-connection child keeps serving) until stdin closes.
 * Usage: nbd-handshake PORT EXPORT   prints "served N bytes" on success.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NBD_MAGIC 0x4e42444d41474943ull   /* "NBDMAGIC" */
#define NBD_OPTS_MAGIC 0x49484156454f5054ull /* "IHAVEOPT" */
#define NBD_FLAG_FIXED_NEWSTYLE 1
#define NBD_FLAG_NO_ZEROES 2
#define NBD_OPT_EXPORT_NAME 1
#define NBD_REQUEST_MAGIC 0x25609513u
#define NBD_REPLY_MAGIC 0x67446698u
#define NBD_CMD_READ 0
#define NBD_CMD_DISC 2

static int fd;

static void die(const char *what)
{
	fprintf(stderr, "nbd-handshake: %s\n", what);
	exit(1);
}

static void get(void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n <= 0)
			die("the server closed the connection");
		done += (size_t)n;
	}
}

static void send_all(const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		die("write failed");
}

struct __attribute__((packed)) request {
	uint32_t magic;
	uint16_t flags, type;
	uint64_t handle, offset;
	uint32_t length;
};

static void request(uint16_t type, uint64_t offset, uint32_t length)
{
	struct request r = {
		.magic = htobe32(NBD_REQUEST_MAGIC), .type = htobe16(type),
		.handle = htobe64(0x1234), .offset = htobe64(offset), .length = htobe32(length),
	};

	send_all(&r, sizeof(r));
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint64_t magic, opts_magic, size;
	uint16_t hflags, tflags;
	uint32_t cflags, reply[4];
	char data[4096], zeroes[124], c;

	if (argc != 3 || atoi(argv[1]) <= 0)
		die("usage: nbd-handshake PORT EXPORT");
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("cannot connect");
	get(&magic, 8);
	get(&opts_magic, 8);
	get(&hflags, 2);
	if (be64toh(magic) != NBD_MAGIC || be64toh(opts_magic) != NBD_OPTS_MAGIC)
		die("not a newstyle NBD server");
	hflags = be16toh(hflags);
	cflags = htobe32(hflags & (NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES));
	send_all(&cflags, 4);
	uint64_t om = htobe64(NBD_OPTS_MAGIC);
	uint32_t opt = htobe32(NBD_OPT_EXPORT_NAME), olen = htobe32((uint32_t)strlen(argv[2]));
	send_all(&om, 8);
	send_all(&opt, 4);
	send_all(&olen, 4);
	send_all(argv[2], strlen(argv[2]));
	get(&size, 8);
	get(&tflags, 2);
	if (!(hflags & NBD_FLAG_NO_ZEROES))
		get(zeroes, sizeof(zeroes));
	request(NBD_CMD_READ, 0, sizeof(data));
	get(reply, 16);
	if (be32toh(reply[0]) != NBD_REPLY_MAGIC || reply[1] != 0)
		die("the read failed");
	get(data, sizeof(data));
	printf("served %zu bytes of %llu\n", sizeof(data), (unsigned long long)be64toh(size));
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	request(NBD_CMD_DISC, 0, 0);
	return 0;
}
