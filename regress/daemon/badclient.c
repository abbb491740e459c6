/*
 * A wgctl that misbehaves, for the control socket tests: it sends one
 * kind of bad input and exits 0 if wgd hangs up on it within two
 * seconds, 1 if it keeps the connection open.
 *
 *	badclient SOCKET size|type|toolong|short|garbage|unterminated
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "wgd.h"

static void
send_raw(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		err(1, "write");
}

static void
send_msg(int fd, uint32_t type, uint16_t len, const void *data, size_t dlen)
{
	struct imsg_hdr	 hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = len;
	hdr.pid = getpid();
	send_raw(fd, &hdr, sizeof(hdr));
	if (dlen > 0)
		send_raw(fd, data, dlen);
}

/* 0 when the server closes the connection, 1 otherwise. */
static int
expect_hangup(int fd)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	char		 buf[IMSG_MAXSIZE];
	ssize_t		 n;

	for (;;) {
		if (poll(&pfd, 1, 2000) != 1) {
			warnx("connection still open after 2 seconds");
			return 1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return 0;
		if (n == -1)
			err(1, "read");
		/* A reply is allowed before the hang-up, but not instead. */
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct ctl_show		 show;
	unsigned char		 junk[512];
	const char		*how;
	size_t			 i;
	int			 fd;

	if (argc != 3)
		errx(2, "usage: badclient socket size|type|toolong|short|"
		    "garbage|unterminated");
	how = argv[2];
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, argv[1], sizeof(sun.sun_path));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect %s", argv[1]);

	memset(&show, 0, sizeof(show));
	if (strcmp(how, "size") == 0) {
		/* A show request one byte short. */
		send_msg(fd, IMSG_CTL_SHOW, IMSG_HEADER_SIZE + sizeof(show) -
		    1, &show, sizeof(show) - 1);
	} else if (strcmp(how, "type") == 0) {
		send_msg(fd, 9999, IMSG_HEADER_SIZE, NULL, 0);
	} else if (strcmp(how, "toolong") == 0) {
		/* A header announcing more than any message may hold. */
		send_msg(fd, IMSG_CTL_SHOW, IMSG_MAXSIZE + 1, NULL, 0);
	} else if (strcmp(how, "short") == 0) {
		/* A length below the header's own size. */
		send_msg(fd, IMSG_CTL_SHOW, 3, NULL, 0);
	} else if (strcmp(how, "garbage") == 0) {
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = (unsigned char)(i * 197 + 13);
		send_raw(fd, junk, sizeof(junk));
	} else if (strcmp(how, "unterminated") == 0) {
		/* A name that is not NUL-terminated. */
		memset(show.name, 'x', sizeof(show.name));
		send_msg(fd, IMSG_CTL_SHOW, IMSG_HEADER_SIZE + sizeof(show),
		    &show, sizeof(show));
	} else
		errx(2, "unknown kind of bad input: %s", how);
	return expect_hangup(fd);
}
