/*
 * common/imsg.c: framing over a socketpair with small buffers, partial
 * reads and writes, passed descriptors, and malformed headers.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "imsg.h"

#define NMESSAGES	3000
#define WINDOW		16	/* messages composed ahead of the reader */

static void
make_pair(int sv[2], int sndbuf)
{
	int	 i;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	for (i = 0; i < 2; i++) {
		if (sndbuf > 0) {
			ATF_REQUIRE(setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF,
			    &sndbuf, sizeof(sndbuf)) == 0);
			ATF_REQUIRE(setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF,
			    &sndbuf, sizeof(sndbuf)) == 0);
		}
		ATF_REQUIRE(fcntl(sv[i], F_SETFL, O_NONBLOCK) == 0);
	}
}

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	ATF_REQUIRE((d = opendir("/proc/self/fd")) != NULL);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

/* The payload of message i: recognisable at every offset. */
static uint8_t
pattern(uint32_t i, size_t off)
{
	return (uint8_t)(i * 131 + off * 7 + (off >> 8));
}

static size_t
message_size(uint32_t i, uint32_t *seed)
{
	if (i == 0)
		return 0;
	if (i == 1)
		return IMSG_MAXDATA;
	*seed = *seed * 1103515245 + 12345;
	switch ((*seed >> 16) % 4) {
	case 0:
		return (*seed >> 8) % 16;	/* tiny ones, many per read */
	default:
		return (*seed >> 4) % (IMSG_MAXDATA + 1);
	}
}

static void
write_raw(int fd, const void *buf, size_t len)
{
	ATF_REQUIRE_EQ(write(fd, buf, len), (ssize_t)len);
}

/* Reads until a message or an error comes out; fails on EOF. */
static ssize_t
get_one(struct imsgbuf *ib, struct imsg *imsg)
{
	struct pollfd	 pfd = { .fd = ib->fd, .events = POLLIN };
	ssize_t		 n;

	for (;;) {
		if ((n = imsg_get(ib, imsg)) != 0)
			return n;
		ATF_REQUIRE(poll(&pfd, 1, 5000) == 1);
		n = imsg_read(ib);
		if (n == -1 && errno == EAGAIN)
			continue;
		ATF_REQUIRE_MSG(n > 0, "imsg_read: %zd (%s)", n,
		    strerror(errno));
	}
}

ATF_TC_WITHOUT_HEAD(random_sizes_round_trip);
ATF_TC_BODY(random_sizes_round_trip, tc)
{
	struct imsgbuf	*w, *r;
	struct imsg	 imsg;
	struct pollfd	 pfd[2];
	uint8_t		*data;
	uint32_t	 sent = 0, got = 0, wseed = 7, rseed = 7;
	size_t		 len, off;
	ssize_t		 n;
	int		 sv[2];

	make_pair(sv, 4096);
	ATF_REQUIRE((w = malloc(sizeof(*w))) != NULL);
	ATF_REQUIRE((r = malloc(sizeof(*r))) != NULL);
	ATF_REQUIRE((data = malloc(IMSG_MAXDATA)) != NULL);
	imsg_init(w, sv[0]);
	imsg_init(r, sv[1]);

	while (got < NMESSAGES) {
		while (sent < NMESSAGES && w->queued < WINDOW) {
			len = message_size(sent, &wseed);
			for (off = 0; off < len; off++)
				data[off] = pattern(sent, off);
			ATF_REQUIRE(imsg_compose(w, sent, (uint32_t)len,
			    4242, -1, data, len) == 1);
			sent++;
		}
		ATF_REQUIRE(imsg_write(w) == 0);

		pfd[0].fd = sv[0];
		pfd[0].events = w->queued > 0 ? POLLOUT : 0;
		pfd[1].fd = sv[1];
		pfd[1].events = POLLIN;
		ATF_REQUIRE(poll(pfd, 2, 5000) > 0);
		if (!(pfd[1].revents & POLLIN))
			continue;
		n = imsg_read(r);
		ATF_REQUIRE_MSG(n > 0 || (n == -1 && errno == EAGAIN),
		    "imsg_read: %zd (%s)", n, strerror(errno));
		while ((n = imsg_get(r, &imsg)) > 0) {
			len = message_size(got, &rseed);
			ATF_REQUIRE_EQ(imsg.hdr.type, got);
			ATF_REQUIRE_EQ(imsg.hdr.peerid, len);
			ATF_REQUIRE_EQ(imsg.hdr.pid, 4242);
			ATF_REQUIRE_EQ(imsg.fd, -1);
			ATF_REQUIRE_EQ(imsg_get_len(&imsg), len);
			ATF_REQUIRE_EQ((size_t)n, len + IMSG_HEADER_SIZE);
			for (off = 0; off < len; off++)
				if (((uint8_t *)imsg.data)[off] !=
				    pattern(got, off))
					atf_tc_fail("message %u differs at %zu",
					    got, off);
			imsg_free(&imsg);
			got++;
		}
		ATF_REQUIRE(n == 0);
	}
	ATF_CHECK_EQ(w->queued, 0);
	imsg_clear(w);
	imsg_clear(r);
	free(w);
	free(r);
	free(data);
}

ATF_TC_WITHOUT_HEAD(fd_passes_and_works);
ATF_TC_BODY(fd_passes_and_works, tc)
{
	struct imsgbuf	*w, *r;
	struct imsg	 imsg;
	char		 buf[16];
	int		 sv[2], p[2], fd;

	make_pair(sv, 0);
	ATF_REQUIRE((w = malloc(sizeof(*w))) != NULL);
	ATF_REQUIRE((r = malloc(sizeof(*r))) != NULL);
	imsg_init(w, sv[0]);
	imsg_init(r, sv[1]);
	ATF_REQUIRE(pipe(p) == 0);

	/* Neighbours before and after must not take or lose the fd. */
	ATF_REQUIRE(imsg_compose(w, 1, 0, 0, -1, "a", 1) == 1);
	ATF_REQUIRE(imsg_compose(w, 2, 0, 0, p[1], "pipe", 4) == 1);
	ATF_REQUIRE(imsg_compose(w, 3, 0, 0, -1, "b", 1) == 1);
	ATF_REQUIRE(imsg_flush(w) == 0);
	/* Sent descriptors are the kernel's now: ours is closed. */
	ATF_CHECK(fcntl(p[1], F_GETFD) == -1 && errno == EBADF);

	ATF_REQUIRE(get_one(r, &imsg) > 0);
	ATF_CHECK_EQ(imsg.hdr.type, 1);
	ATF_CHECK_EQ(imsg.fd, -1);
	imsg_free(&imsg);

	ATF_REQUIRE(get_one(r, &imsg) > 0);
	ATF_CHECK_EQ(imsg.hdr.type, 2);
	ATF_REQUIRE(imsg.fd != -1);
	fd = imsg_get_fd(&imsg);
	ATF_CHECK_EQ(imsg.fd, -1);
	imsg_free(&imsg);
	ATF_REQUIRE_EQ(write(fd, "through", 7), 7);
	close(fd);
	ATF_REQUIRE_EQ(read(p[0], buf, sizeof(buf)), 7);
	ATF_CHECK(memcmp(buf, "through", 7) == 0);
	/* Every write end is closed: the pipe reads EOF. */
	ATF_CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);

	ATF_REQUIRE(get_one(r, &imsg) > 0);
	ATF_CHECK_EQ(imsg.hdr.type, 3);
	ATF_CHECK_EQ(imsg.fd, -1);
	imsg_free(&imsg);

	imsg_clear(w);
	imsg_clear(r);
	close(sv[0]);
	close(sv[1]);
	free(w);
	free(r);
}

ATF_TC_WITHOUT_HEAD(unclaimed_fd_is_closed);
ATF_TC_BODY(unclaimed_fd_is_closed, tc)
{
	struct imsgbuf	*w, *r;
	struct imsg	 imsg;
	int		 sv[2], p[2], before, i;

	make_pair(sv, 0);
	ATF_REQUIRE((w = malloc(sizeof(*w))) != NULL);
	ATF_REQUIRE((r = malloc(sizeof(*r))) != NULL);
	imsg_init(w, sv[0]);
	imsg_init(r, sv[1]);
	before = count_fds();

	for (i = 0; i < 3; i++) {
		ATF_REQUIRE(pipe(p) == 0);
		ATF_REQUIRE(imsg_compose(w, 9, 0, 0, p[0], NULL, 0) == 1);
		close(p[1]);
		ATF_REQUIRE(imsg_flush(w) == 0);
		ATF_REQUIRE(get_one(r, &imsg) > 0);
		ATF_REQUIRE(imsg.fd != -1);
		imsg_free(&imsg);	/* nobody took it */
	}
	ATF_CHECK_EQ(count_fds(), before);

	/* Received but never got: imsg_clear closes it. */
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE(imsg_compose(w, 9, 0, 0, p[0], NULL, 0) == 1);
	close(p[1]);
	ATF_REQUIRE(imsg_flush(w) == 0);
	ATF_REQUIRE(imsg_read(r) > 0);
	imsg_clear(r);
	ATF_CHECK_EQ(count_fds(), before);

	/* Queued but never sent: imsg_clear closes it too. */
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE(imsg_compose(w, 9, 0, 0, p[0], NULL, 0) == 1);
	close(p[1]);
	imsg_clear(w);
	ATF_CHECK_EQ(count_fds(), before);

	close(sv[0]);
	close(sv[1]);
	free(w);
	free(r);
}

ATF_TC_WITHOUT_HEAD(oversized_header_is_error);
ATF_TC_BODY(oversized_header_is_error, tc)
{
	struct imsgbuf	*r;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;
	int		 sv[2];

	make_pair(sv, 0);
	ATF_REQUIRE((r = malloc(sizeof(*r))) != NULL);
	imsg_init(r, sv[1]);

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 1;
	hdr.len = IMSG_MAXSIZE + 1;
	write_raw(sv[0], &hdr, sizeof(hdr));
	ATF_REQUIRE(imsg_read(r) == (ssize_t)sizeof(hdr));
	errno = 0;
	ATF_CHECK_EQ(imsg_get(r, &imsg), -1);
	ATF_CHECK_EQ(errno, ERANGE);
	imsg_clear(r);

	/* Shorter than its own header is just as wrong. */
	hdr.len = IMSG_HEADER_SIZE - 1;
	write_raw(sv[0], &hdr, sizeof(hdr));
	ATF_REQUIRE(imsg_read(r) == (ssize_t)sizeof(hdr));
	ATF_CHECK_EQ(imsg_get(r, &imsg), -1);
	imsg_clear(r);

	/* The sender refuses to build one. */
	ATF_CHECK(imsg_create(r, 1, 0, 0, IMSG_MAXDATA + 1) == NULL);
	ATF_CHECK_EQ(errno, ERANGE);
	ATF_CHECK_EQ(imsg_compose(r, 1, 0, 0, -1, NULL, IMSG_MAXDATA + 1),
	    -1);
	ATF_CHECK_EQ(r->queued, 0);

	close(sv[0]);
	close(sv[1]);
	free(r);
}

ATF_TC_WITHOUT_HEAD(half_arrived_message_waits);
ATF_TC_BODY(half_arrived_message_waits, tc)
{
	struct imsgbuf	*r;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;
	uint8_t		 msg[IMSG_HEADER_SIZE + 100];
	size_t		 i;
	int		 sv[2];

	make_pair(sv, 0);
	ATF_REQUIRE((r = malloc(sizeof(*r))) != NULL);
	imsg_init(r, sv[1]);

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 77;
	hdr.len = sizeof(msg);
	memcpy(msg, &hdr, sizeof(hdr));
	for (i = sizeof(hdr); i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;

	/* Half a header, then all but the last byte: nothing yet. */
	write_raw(sv[0], msg, 5);
	ATF_REQUIRE(imsg_read(r) == 5);
	ATF_CHECK_EQ(imsg_get(r, &imsg), 0);
	write_raw(sv[0], msg + 5, sizeof(msg) - 6);
	ATF_REQUIRE(imsg_read(r) > 0);
	ATF_CHECK_EQ(imsg_get(r, &imsg), 0);

	write_raw(sv[0], msg + sizeof(msg) - 1, 1);
	ATF_REQUIRE(imsg_read(r) == 1);
	ATF_REQUIRE_EQ(imsg_get(r, &imsg), (ssize_t)sizeof(msg));
	ATF_CHECK_EQ(imsg.hdr.type, 77);
	ATF_CHECK(memcmp(imsg.data, msg + sizeof(hdr), 100) == 0);
	imsg_free(&imsg);
	ATF_CHECK_EQ(imsg_get(r, &imsg), 0);

	close(sv[0]);
	close(sv[1]);
	free(r);
}

ATF_TC_WITHOUT_HEAD(exact_payload_size);
ATF_TC_BODY(exact_payload_size, tc)
{
	struct imsgbuf	*w, *r;
	struct imsg	 imsg;
	uint32_t	 v = 0x01020304, out;
	uint64_t	 big;
	int		 sv[2];

	make_pair(sv, 0);
	ATF_REQUIRE((w = malloc(sizeof(*w))) != NULL);
	ATF_REQUIRE((r = malloc(sizeof(*r))) != NULL);
	imsg_init(w, sv[0]);
	imsg_init(r, sv[1]);
	ATF_REQUIRE(imsg_compose(w, 1, 0, 0, -1, &v, sizeof(v)) == 1);
	ATF_REQUIRE(imsg_flush(w) == 0);
	ATF_REQUIRE(get_one(r, &imsg) > 0);
	ATF_CHECK_EQ(imsg_get_data(&imsg, &big, sizeof(big)), -1);
	ATF_CHECK_EQ(errno, EBADMSG);
	ATF_CHECK_EQ(imsg_get_data(&imsg, &out, 2), -1);
	ATF_REQUIRE_EQ(imsg_get_data(&imsg, &out, sizeof(out)), 0);
	ATF_CHECK_EQ(out, v);
	imsg_free(&imsg);

	/* EOF from the other side reads as 0. */
	close(sv[0]);
	ATF_CHECK_EQ(imsg_read(r), 0);
	imsg_clear(w);
	close(sv[1]);
	free(w);
	free(r);
}

/*
 * A process that dies with our messages unread resets the connection:
 * imsg_read says end of file, so that the one who reaps it says why.
 */
ATF_TC_WITHOUT_HEAD(reset_is_end_of_file);
ATF_TC_BODY(reset_is_end_of_file, tc)
{
	struct imsgbuf	*ib;
	int		 sv[2], n = 7;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE((ib = malloc(sizeof(*ib))) != NULL);
	imsg_init(ib, sv[0]);
	ATF_REQUIRE(imsg_compose(ib, 1, 0, 0, -1, &n, sizeof(n)) != -1);
	ATF_REQUIRE(imsg_flush(ib) == 0);
	/* Closed with that message unread. */
	close(sv[1]);
	ATF_CHECK_EQ(imsg_read(ib), 0);
	imsg_clear(ib);
	free(ib);
	close(sv[0]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, random_sizes_round_trip);
	ATF_TP_ADD_TC(tp, fd_passes_and_works);
	ATF_TP_ADD_TC(tp, unclaimed_fd_is_closed);
	ATF_TP_ADD_TC(tp, oversized_header_is_error);
	ATF_TP_ADD_TC(tp, half_arrived_message_waits);
	ATF_TP_ADD_TC(tp, exact_payload_size);
	ATF_TP_ADD_TC(tp, reset_is_end_of_file);
	return atf_no_error();
}
