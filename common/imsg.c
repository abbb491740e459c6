/*
 * Our own implementation of the OpenBSD imsg API over a stream socket.
 *
 * Reading: bytes and passed descriptors arrive separately.  The kernel
 * delivers a descriptor with the first byte of the sendmsg() that carried
 * it, so by the time a message flagged IMSGF_HASFD is complete its
 * descriptor is at the head of the queue of received ones.
 *
 * Writing: an ibuf that carries a descriptor is always the first one of a
 * sendmsg(), so the descriptor travels with the first byte of its own
 * message and never with a neighbour's.
 *
 * Messages may hold keys: every buffer is wiped before it is freed or
 * reused.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSG_CMSG_FDS	8	/* most descriptors taken from one recvmsg */

static void	imsg_drop_fd(struct imsgbuf *);

void
imsg_init(struct imsgbuf *ib, int fd)
{
	TAILQ_INIT(&ib->wqueue);
	ib->queued = 0;
	ib->rpos = ib->rlen = 0;
	ib->nrfds = 0;
	ib->fd = fd;
	ib->pid = getpid();
}

/*
 * Frees everything queued in both directions and closes every descriptor
 * still held.  The socket itself stays open: it belongs to the caller.
 */
void
imsg_clear(struct imsgbuf *ib)
{
	struct ibuf	*buf;

	while ((buf = TAILQ_FIRST(&ib->wqueue)) != NULL) {
		TAILQ_REMOVE(&ib->wqueue, buf, entry);
		ibuf_free(buf);
	}
	ib->queued = 0;
	imsg_close_fds(ib);
	explicit_bzero(ib->rbuf, ib->rlen);
	ib->rpos = ib->rlen = 0;
}

static int
imsg_take_fd(struct imsgbuf *ib)
{
	int	 fd;

	if (ib->nrfds == 0)
		return -1;
	fd = ib->rfds[0];
	ib->nrfds--;
	memmove(&ib->rfds[0], &ib->rfds[1], ib->nrfds * sizeof(ib->rfds[0]));
	return fd;
}

static void
imsg_drop_fd(struct imsgbuf *ib)
{
	int	 fd;

	if ((fd = imsg_take_fd(ib)) != -1)
		close(fd);
}

/*
 * Closes every received descriptor not yet claimed: for a peer that has
 * no business passing any.
 */
void
imsg_close_fds(struct imsgbuf *ib)
{
	while (ib->nrfds > 0)
		imsg_drop_fd(ib);
}

/*
 * Receives what the socket has.  Returns the number of bytes read, 0 on
 * end of file, or -1 with errno set (EAGAIN when a non-blocking socket has
 * nothing).  A peer that sends descriptors faster than messages claim
 * them gets EBADMSG: the descriptors are closed, never kept.
 */
ssize_t
imsg_read(struct imsgbuf *ib)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int) * IMSG_CMSG_FDS)];
	} cmsgbuf;
	struct cmsghdr	*cmsg;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;
	size_t		 i, nfds;
	int		 fds[IMSG_CMSG_FDS], overflow = 0;

	if (ib->rpos > 0) {
		memmove(ib->rbuf, ib->rbuf + ib->rpos, ib->rlen - ib->rpos);
		ib->rlen -= ib->rpos;
		explicit_bzero(ib->rbuf + ib->rlen, ib->rpos);
		ib->rpos = 0;
	}
	if (ib->rlen == sizeof(ib->rbuf)) {
		errno = ENOBUFS;
		return -1;
	}

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ib->rbuf + ib->rlen;
	iov.iov_len = sizeof(ib->rbuf) - ib->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	do {
		n = recvmsg(ib->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	/*
	 * A process that died with our messages unread resets the
	 * connection: it is gone, as at end of file, and whoever reaps it
	 * says why.
	 */
	if (n == -1 && errno == ECONNRESET)
		return 0;
	if (n == -1)
		return -1;

	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		if (cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfds > IMSG_CMSG_FDS)
			nfds = IMSG_CMSG_FDS;
		memcpy(fds, CMSG_DATA(cmsg), nfds * sizeof(int));
		for (i = 0; i < nfds; i++) {
			if (ib->nrfds < IMSG_MAXFDS_QUEUED)
				ib->rfds[ib->nrfds++] = fds[i];
			else {
				close(fds[i]);
				overflow = 1;
			}
		}
	}
	ib->rlen += n;
	if (overflow || (msg.msg_flags & MSG_CTRUNC)) {
		errno = EBADMSG;
		return -1;
	}
	return n;
}

/*
 * Takes the next complete message out of the read buffer.  Returns its
 * length, 0 when no complete message is there yet, or -1 with errno set
 * when the header is malformed: a length below the header size or above
 * IMSG_MAXSIZE is an error, never an allocation.  On success the caller
 * owns imsg and releases it with imsg_free().
 */
ssize_t
imsg_get(struct imsgbuf *ib, struct imsg *imsg)
{
	struct imsg_hdr	 hdr;
	size_t		 avail = ib->rlen - ib->rpos, datalen;

	if (avail < IMSG_HEADER_SIZE)
		return 0;
	memcpy(&hdr, ib->rbuf + ib->rpos, sizeof(hdr));
	if (hdr.len < IMSG_HEADER_SIZE || hdr.len > IMSG_MAXSIZE) {
		errno = ERANGE;
		return -1;
	}
	if (hdr.len > avail)
		return 0;

	datalen = hdr.len - IMSG_HEADER_SIZE;
	imsg->hdr = hdr;
	imsg->fd = -1;
	imsg->data = NULL;
	if (datalen > 0) {
		if ((imsg->data = malloc(datalen)) == NULL)
			return -1;
		memcpy(imsg->data, ib->rbuf + ib->rpos + IMSG_HEADER_SIZE,
		    datalen);
	}
	if (hdr.flags & IMSGF_HASFD)
		imsg->fd = imsg_take_fd(ib);

	explicit_bzero(ib->rbuf + ib->rpos, hdr.len);
	ib->rpos += hdr.len;
	if (ib->rpos == ib->rlen)
		ib->rpos = ib->rlen = 0;
	return hdr.len;
}

/* Wipes the payload and closes a descriptor nobody took. */
void
imsg_free(struct imsg *imsg)
{
	if (imsg->data != NULL) {
		explicit_bzero(imsg->data, imsg_get_len(imsg));
		free(imsg->data);
		imsg->data = NULL;
	}
	if (imsg->fd != -1) {
		close(imsg->fd);
		imsg->fd = -1;
	}
}

size_t
imsg_get_len(const struct imsg *imsg)
{
	return imsg->hdr.len - IMSG_HEADER_SIZE;
}

/*
 * Copies the payload into a fixed-size struct.  A payload of any other
 * size is refused (EBADMSG): a receiver never reads past what arrived.
 */
int
imsg_get_data(const struct imsg *imsg, void *data, size_t len)
{
	if (len == 0 || imsg_get_len(imsg) != len) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(data, imsg->data, len);
	return 0;
}

/* Hands the passed descriptor to the caller, who must close it. */
int
imsg_get_fd(struct imsg *imsg)
{
	int	 fd = imsg->fd;

	imsg->fd = -1;
	return fd;
}

struct ibuf *
imsg_create(struct imsgbuf *ib, uint32_t type, uint32_t peerid, pid_t pid,
    size_t datalen)
{
	struct ibuf	*buf;
	struct imsg_hdr	 hdr;

	if (datalen > IMSG_MAXDATA) {
		errno = ERANGE;
		return NULL;
	}
	if ((buf = calloc(1, sizeof(*buf))) == NULL)
		return NULL;
	buf->size = IMSG_HEADER_SIZE + datalen;
	if ((buf->buf = malloc(buf->size)) == NULL) {
		free(buf);
		return NULL;
	}
	buf->fd = -1;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.peerid = peerid;
	hdr.pid = pid != 0 ? (uint32_t)pid : (uint32_t)ib->pid;
	memcpy(buf->buf, &hdr, sizeof(hdr));
	buf->wpos = sizeof(hdr);
	return buf;
}

/* Appends to a message from imsg_create(); on overflow frees it. */
int
imsg_add(struct ibuf *buf, const void *data, size_t len)
{
	if (len > buf->size - buf->wpos) {
		ibuf_free(buf);
		errno = ERANGE;
		return -1;
	}
	if (len > 0)
		memcpy(buf->buf + buf->wpos, data, len);
	buf->wpos += len;
	return (int)len;
}

/* Seals the header and queues the message for imsg_write(). */
void
imsg_close(struct imsgbuf *ib, struct ibuf *buf)
{
	struct imsg_hdr	 hdr;

	memcpy(&hdr, buf->buf, sizeof(hdr));
	hdr.len = (uint16_t)buf->wpos;
	hdr.flags = buf->fd != -1 ? IMSGF_HASFD : 0;
	memcpy(buf->buf, &hdr, sizeof(hdr));
	TAILQ_INSERT_TAIL(&ib->wqueue, buf, entry);
	ib->queued++;
}

void
ibuf_free(struct ibuf *buf)
{
	if (buf == NULL)
		return;
	if (buf->fd != -1)
		close(buf->fd);
	explicit_bzero(buf->buf, buf->size);
	free(buf->buf);
	free(buf);
}

/*
 * Queues one message.  fd, if not -1, is passed with it and closed here
 * once sent.  Returns 1, or -1 with errno set (ERANGE: too big); on
 * failure fd is not consumed.
 */
int
imsg_compose(struct imsgbuf *ib, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const void *data, size_t datalen)
{
	struct iovec	 iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = datalen;
	return imsg_composev(ib, type, peerid, pid, fd, &iov, 1);
}

int
imsg_composev(struct imsgbuf *ib, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*buf;
	size_t		 datalen = 0;
	int		 i;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > IMSG_MAXDATA - datalen) {
			errno = ERANGE;
			return -1;
		}
		datalen += iov[i].iov_len;
	}
	if ((buf = imsg_create(ib, type, peerid, pid, datalen)) == NULL)
		return -1;
	for (i = 0; i < iovcnt; i++)
		if (imsg_add(buf, iov[i].iov_base, iov[i].iov_len) == -1)
			return -1;
	buf->fd = fd;
	imsg_close(ib, buf);
	return 1;
}

/*
 * Sends as much of the queue as the socket takes.  Returns 0 (also when
 * the socket is full: poll for POLLOUT and call again) or -1 with errno
 * set; EPIPE means the other side is gone.
 */
int
imsg_write(struct imsgbuf *ib)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct iovec	 iov[IOV_MAX];
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct ibuf	*buf, *next, *fdbuf = NULL;
	ssize_t		 n;
	size_t		 left;
	int		 i = 0;

	TAILQ_FOREACH(buf, &ib->wqueue, entry) {
		if (i == IOV_MAX)
			break;
		if (i > 0 && buf->fd != -1)
			break;
		iov[i].iov_base = buf->buf + buf->rpos;
		iov[i].iov_len = buf->wpos - buf->rpos;
		if (buf->fd != -1)
			fdbuf = buf;
		i++;
	}
	if (i == 0)
		return 0;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = i;
	if (fdbuf != NULL) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &fdbuf->fd, sizeof(int));
	}

	do {
		n = sendmsg(ib->fd, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (errno == EAGAIN || errno == ENOBUFS) ? 0 : -1;

	/* The descriptor went with the first byte: never send it twice. */
	if (fdbuf != NULL && n > 0) {
		close(fdbuf->fd);
		fdbuf->fd = -1;
	}
	left = (size_t)n;
	for (buf = TAILQ_FIRST(&ib->wqueue); buf != NULL && left > 0;
	    buf = next) {
		next = TAILQ_NEXT(buf, entry);
		if (left < buf->wpos - buf->rpos) {
			buf->rpos += left;
			break;
		}
		left -= buf->wpos - buf->rpos;
		TAILQ_REMOVE(&ib->wqueue, buf, entry);
		ib->queued--;
		ibuf_free(buf);
	}
	return 0;
}

/* Writes the whole queue, waiting for the socket when it is full. */
int
imsg_flush(struct imsgbuf *ib)
{
	struct pollfd	 pfd;

	pfd.fd = ib->fd;
	pfd.events = POLLOUT;
	while (ib->queued > 0) {
		if (imsg_write(ib) == -1)
			return -1;
		if (ib->queued > 0 && poll(&pfd, 1, -1) == -1 &&
		    errno != EINTR)
			return -1;
	}
	return 0;
}
