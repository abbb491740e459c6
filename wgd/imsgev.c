/*
 * The glue between imsg and libevent that every wgd process uses for
 * its sockets: one persistent-less event, re-armed after each callback
 * with EV_WRITE only while something is queued.
 */

#include <errno.h>
#include <unistd.h>

#include <event.h>

#include "imsgev.h"
#include "log.h"

void
imsgev_init(struct imsgev *iev, int fd, void (*handler)(int, short, void *),
    void *data)
{
	imsg_init(&iev->ibuf, fd);
	iev->handler = handler;
	iev->data = data;
	iev->events = 0;
	imsgev_add(iev);
}

void
imsgev_add(struct imsgev *iev)
{
	short	 events = EV_READ;

	if (iev->ibuf.queued > 0)
		events |= EV_WRITE;
	if (iev->events != 0)
		event_del(&iev->ev);
	iev->events = events;
	event_set(&iev->ev, iev->ibuf.fd, events, iev->handler, iev);
	event_add(&iev->ev, NULL);
}

void
imsgev_del(struct imsgev *iev)
{
	if (iev->events != 0)
		event_del(&iev->ev);
	iev->events = 0;
}

int
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const void *data, size_t len)
{
	int	 rv;

	if ((rv = imsg_compose(&iev->ibuf, type, peerid, pid, fd, data,
	    len)) != -1)
		imsgev_add(iev);
	return rv;
}

/*
 * The I/O of one event on a socket to another wgd process: reads what
 * came, flushes what is queued.  A failure there is fatal: the other
 * side is ours.  Returns -1 at end of file.
 */
int
imsgev_io(struct imsgev *iev, short events)
{
	ssize_t	 n;

	if (events & EV_READ) {
		if ((n = imsg_read(&iev->ibuf)) == -1 && errno != EAGAIN)
			fatal("imsg_read");
		if (n == 0)
			return -1;
	}
	if (imsgev_write(iev, events) == -1)
		fatal("imsg_write");
	return 0;
}

/*
 * For a handler called with EV_WRITE: flushes what the socket takes.
 * Returns -1 when the other side is gone.
 */
int
imsgev_write(struct imsgev *iev, short events)
{
	if (!(events & EV_WRITE))
		return 0;
	if (imsg_write(&iev->ibuf) == -1)
		return -1;
	return 0;
}
