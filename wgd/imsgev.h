/*
 * An imsgbuf driven by libevent: reads call the handler, queued writes
 * are flushed when the socket can take them.
 */

#ifndef WGD_IMSGEV_H
#define WGD_IMSGEV_H

#include <event.h>

#include "imsg.h"

struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	 ev;
	void		(*handler)(int, short, void *);
	void		*data;
	short		 events;
};

void	imsgev_init(struct imsgev *, int, void (*)(int, short, void *),
	    void *);
void	imsgev_add(struct imsgev *);
void	imsgev_del(struct imsgev *);
int	imsgev_compose(struct imsgev *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	imsgev_write(struct imsgev *, short);
int	imsgev_io(struct imsgev *, short);

#endif /* WGD_IMSGEV_H */
