/*
 * The imsg reader (common/imsg.c) on any byte stream, with descriptors
 * passed along: what control reads from wgctl, and each process from
 * the others.  The input is a series of writes into one end of a
 * socketpair, each
 *
 *	flags (1 byte)	bits 0-3: descriptors to pass with it (0-10)
 *	length (2)	little-endian, cut to what is left
 *	bytes
 *
 * and after each the other end does what imsgev.c does: imsg_read
 * until the socket is empty, imsg_get until no whole message is left,
 * every message's payload taken out through imsg_get_data() and its
 * descriptor claimed or left to imsg_free().  A malformed header ends
 * the stream, as it ends a connection.  Every message read is then
 * composed again into another socketpair and must come out the same;
 * every descriptor received must be closed by the end.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "imsg.h"

#define FDS_WATCHED	128	/* descriptors from the first free one */
#define SEND_FDS_MAX	10	/* more than one recvmsg takes: truncated */

static int	 passfd = -1;	/* the descriptor sent, a pipe's end */

static void
open_fds(int from, uint8_t open[FDS_WATCHED])
{
	int	 i;

	for (i = 0; i < FDS_WATCHED; i++)
		open[i] = fcntl(from + i, F_GETFD) != -1;
}

static void
send_chunk(int fd, const uint8_t *buf, size_t len, int nfds)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int) * SEND_FDS_MAX)];
	} cmsgbuf;
	struct cmsghdr	*cmsg;
	struct msghdr	 msg;
	struct iovec	 iov;
	int		 fds[SEND_FDS_MAX], i;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	/* A stream carries descriptors only with a byte. */
	if (nfds > 0 && len > 0) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		for (i = 0; i < nfds; i++)
			fds[i] = passfd;
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	/* The socket's buffer takes a whole write: at most 64 KiB. */
	FUZZ_CHECK(sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)len);
}

/* Composes m again on out, reads it on in: the same message. */
static void
round_trip(struct imsgbuf *out, struct imsgbuf *in, const struct imsg *m)
{
	struct imsg	 again;
	size_t		 len = imsg_get_len(m);
	ssize_t		 n;

	FUZZ_CHECK(imsg_compose(out, m->hdr.type, m->hdr.peerid,
	    (pid_t)m->hdr.pid, -1, m->data, len) == 1);
	FUZZ_CHECK(imsg_flush(out) == 0);
	while ((n = imsg_get(in, &again)) == 0)
		FUZZ_CHECK(imsg_read(in) > 0);
	FUZZ_CHECK(n == (ssize_t)(IMSG_HEADER_SIZE + len));
	FUZZ_CHECK(again.hdr.type == m->hdr.type);
	FUZZ_CHECK(again.hdr.peerid == m->hdr.peerid);
	/* pid 0 is the sender's own. */
	FUZZ_CHECK(m->hdr.pid == 0 || again.hdr.pid == m->hdr.pid);
	FUZZ_CHECK(again.hdr.len == m->hdr.len && again.fd == -1);
	FUZZ_CHECK(len == 0 || memcmp(again.data, m->data, len) == 0);
	imsg_free(&again);
}

static void
take(struct imsg *m, struct imsgbuf *out, struct imsgbuf *in)
{
	static const size_t	 sizes[] = { 1, 4, 8, 16, 64, IMSG_MAXDATA };
	uint8_t			*buf;
	size_t			 len = imsg_get_len(m), i;
	int			 fd;

	FUZZ_CHECK(len <= IMSG_MAXDATA);
	FUZZ_CHECK((m->data == NULL) == (len == 0));
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	/* The exact size or nothing: a receiver reads what arrived. */
	FUZZ_CHECK(imsg_get_data(m, buf, len) == (len > 0 ? 0 : -1));
	FUZZ_CHECK(imsg_get_data(m, buf, len + 1) == -1);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i] != len)
			FUZZ_CHECK(imsg_get_data(m, buf, sizes[i]) == -1);
	FUZZ_CHECK(len == 0 || memcmp(buf, m->data, len) == 0);
	free(buf);
	if (m->fd != -1) {
		FUZZ_CHECK(m->hdr.flags & IMSGF_HASFD);
		FUZZ_CHECK(fcntl(m->fd, F_GETFD) != -1);
	}
	/* Half the time the receiver claims it; else imsg_free closes it. */
	if (m->hdr.type & 1) {
		if ((fd = imsg_get_fd(m)) != -1)
			close(fd);
		FUZZ_CHECK(m->fd == -1);
	}
	round_trip(out, in, m);
	imsg_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in = { data, size };
	struct imsgbuf	*ib, *out, *back;
	struct imsg	 m;
	uint8_t		 before[FDS_WATCHED], after[FDS_WATCHED];
	int		 sv[2], rt[2], pp[2], i, first, done = 0;
	size_t		 len;
	ssize_t		 n;
	uint8_t		 flags;

	if (passfd == -1) {
		if (pipe2(pp, O_CLOEXEC) == -1)
			abort();
		close(pp[1]);
		passfd = pp[0];
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv) == -1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
	    0, rt) == -1)
		abort();
	first = sv[0];
	open_fds(first, before);
	if ((ib = calloc(1, sizeof(*ib))) == NULL ||
	    (out = calloc(1, sizeof(*out))) == NULL ||
	    (back = calloc(1, sizeof(*back))) == NULL)
		abort();
	imsg_init(ib, sv[0]);
	imsg_init(out, rt[0]);
	imsg_init(back, rt[1]);

	while (in.len > 0 && !done) {
		flags = fuzz_u8(&in);
		len = fuzz_u16(&in);
		if (len > in.len)
			len = in.len;
		send_chunk(sv[1], in.p, len, (flags & 0x0f) % (SEND_FDS_MAX +
		    1));
		in.p += len;
		in.len -= len;
		for (;;) {
			if ((n = imsg_read(ib)) == -1 && errno == EAGAIN)
				break;
			/* EBADMSG (descriptors), ENOBUFS: the end. */
			if (n <= 0) {
				done = 1;
				break;
			}
			while ((n = imsg_get(ib, &m)) > 0)
				take(&m, out, back);
			if (n == -1) {
				FUZZ_CHECK(errno == ERANGE);
				done = 1;
				break;
			}
		}
	}
	/* The other side goes: end of file, once the bytes are read. */
	close(sv[1]);
	while (!done && (n = imsg_read(ib)) > 0)
		;
	FUZZ_CHECK(done || n == 0);

	imsg_clear(ib);
	imsg_clear(out);
	imsg_clear(back);
	free(ib);
	free(out);
	free(back);
	close(sv[0]);
	close(rt[0]);
	close(rt[1]);
	/* Every descriptor received is closed: those open are as before. */
	open_fds(first, after);
	for (i = 0; i < FDS_WATCHED; i++)
		FUZZ_CHECK(after[i] <= before[i]);
	return 0;
}
