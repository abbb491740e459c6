/*
 * A daemon's children log through the parent: each line goes up as an
 * IMSG_LOG, and the parent writes it to syslog as its own.
 */

#ifndef WGD_CHILDLOG_H
#define WGD_CHILDLOG_H

#include "imsg.h"
#include "imsgev.h"

void	childlog_init(struct imsgev *);
void	childlog_init_ibuf(struct imsgbuf *);
int	childlog_relay(const char *, struct imsg *);

#endif /* WGD_CHILDLOG_H */
