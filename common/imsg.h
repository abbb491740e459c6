/*
 * Framed messages between wgd's processes and between wgctl and the
 * control process: the OpenBSD imsg API, written here because libbsd has
 * none.  A message is a fixed header (type, length, flags, peer id, pid)
 * and up to IMSG_MAXSIZE - IMSG_HEADER_SIZE bytes of payload; it may carry
 * one file descriptor.  Writes are queued and flushed when the socket
 * takes them; reads collect bytes until a whole message is there.
 */

#ifndef WGD_IMSG_H
#define WGD_IMSG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

#define IMSG_MAXSIZE		16384	/* one message, header included */
#define IMSG_READ_BUFSIZE	65536
#define IMSG_MAXFDS_QUEUED	32	/* received fds waiting for a message */

#define IMSGF_HASFD		0x0001

struct imsg_hdr {
	uint32_t	 type;
	uint16_t	 len;		/* header included */
	uint16_t	 flags;
	uint32_t	 peerid;
	uint32_t	 pid;
};

#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)
#define IMSG_MAXDATA		(IMSG_MAXSIZE - IMSG_HEADER_SIZE)

/* One outgoing message being built or waiting in the write queue. */
struct ibuf {
	TAILQ_ENTRY(ibuf)	 entry;
	unsigned char		*buf;
	size_t			 size;	/* allocated */
	size_t			 wpos;	/* bytes filled */
	size_t			 rpos;	/* bytes already sent */
	int			 fd;	/* to pass with it, or -1 */
};

struct imsgbuf {
	TAILQ_HEAD(, ibuf)	 wqueue;
	unsigned int		 queued;
	unsigned char		 rbuf[IMSG_READ_BUFSIZE];
	size_t			 rpos;	/* first unparsed byte */
	size_t			 rlen;	/* end of received bytes */
	int			 rfds[IMSG_MAXFDS_QUEUED];
	int			 nrfds;
	int			 fd;
	pid_t			 pid;
};

struct imsg {
	struct imsg_hdr		 hdr;
	int			 fd;	/* -1, or owned until imsg_free */
	void			*data;	/* hdr.len - IMSG_HEADER_SIZE bytes */
};

void		 imsg_init(struct imsgbuf *, int);
void		 imsg_clear(struct imsgbuf *);
void		 imsg_close_fds(struct imsgbuf *);

ssize_t		 imsg_read(struct imsgbuf *);
ssize_t		 imsg_get(struct imsgbuf *, struct imsg *);
void		 imsg_free(struct imsg *);

size_t		 imsg_get_len(const struct imsg *);
int		 imsg_get_data(const struct imsg *, void *, size_t);
int		 imsg_get_fd(struct imsg *);

int		 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
		    const void *, size_t);
int		 imsg_composev(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
		    const struct iovec *, int);
struct ibuf	*imsg_create(struct imsgbuf *, uint32_t, uint32_t, pid_t,
		    size_t);
int		 imsg_add(struct ibuf *, const void *, size_t);
void		 imsg_close(struct imsgbuf *, struct ibuf *);
void		 ibuf_free(struct ibuf *);

int		 imsg_write(struct imsgbuf *);
int		 imsg_flush(struct imsgbuf *);

#endif /* WGD_IMSG_H */
