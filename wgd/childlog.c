/*
 * Children's log lines, relayed by the parent.  A sandboxed child may
 * not open a socket, and glibc's syslog() opens a new one whenever the
 * old one fails (after a syslogd restart): so a child that is not in
 * the foreground hands each formatted line to the parent over its imsg
 * socket instead, and the parent logs it.  In the foreground a child
 * writes to the inherited stderr, as before.
 */

#include <sys/types.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include "childlog.h"
#include "log.h"
#include "wgd.h"

static struct imsgbuf	*sink_ibuf;
static struct imsgev	*sink_iev;
static pthread_t	 sink_thread;

/*
 * The sink log.c calls.  Only the thread that set it logs: the engine's
 * crypto workers never do, and the imsgbuf is the loop thread's alone.
 * A line logged while one is being queued (an allocation failing in
 * imsg_compose, say) is dropped rather than recurse.
 */
static void
sink(void *arg, int priority, const char *msg)
{
	static int	 busy;
	struct iovec	 iov[2];
	int32_t		 pri = priority;

	(void)arg;
	if (busy || sink_ibuf == NULL ||
	    !pthread_equal(pthread_self(), sink_thread))
		return;
	busy = 1;
	iov[0].iov_base = &pri;
	iov[0].iov_len = sizeof(pri);
	iov[1].iov_base = (void *)msg;
	iov[1].iov_len = strlen(msg) + 1;
	if (imsg_composev(sink_ibuf, IMSG_LOG, 0, 0, -1, iov, 2) != -1) {
		(void)imsg_write(sink_ibuf);
		if (sink_ibuf->queued > 0) {
			/*
			 * Before an exit, or without a loop, the line goes
			 * now.  A child's end of the socket blocks, and the
			 * parent's end never blocks the parent, which so
			 * always reads it.
			 */
			if (priority <= LOG_CRIT || sink_iev == NULL)
				(void)imsg_flush(sink_ibuf);
			else if (sink_iev->events != 0)
				imsgev_add(sink_iev);
		}
	}
	busy = 0;
}

/* A child driven by libevent: its lines go up with the other messages. */
void
childlog_init(struct imsgev *iev)
{
	sink_iev = iev;
	sink_ibuf = &iev->ibuf;
	sink_thread = pthread_self();
	log_setsink(sink, NULL);
}

/*
 * A child without an event loop (the doctor), or any child until its
 * loop runs: each line is written at once.
 */
void
childlog_init_ibuf(struct imsgbuf *ib)
{
	sink_iev = NULL;
	sink_ibuf = ib;
	sink_thread = pthread_self();
	log_setsink(sink, NULL);
}

/*
 * In the parent: logs an IMSG_LOG from the child named from, and says
 * 1; 0 for any other message.  A malformed one is fatal, as every
 * malformed message between wgd's processes is.  Control characters
 * become '?', so that a child cannot start lines of its own, and each
 * line names the child.
 */
int
childlog_relay(const char *from, struct imsg *imsg)
{
	char		 line[LOG_LINE_MAX];
	int32_t		 pri;
	size_t		 len, i, n;

	if (imsg->hdr.type != IMSG_LOG)
		return 0;
	len = imsg_get_len(imsg);
	if (len < sizeof(pri) + 1 || len - sizeof(pri) > sizeof(line))
		fatalx("bad IMSG_LOG from %s", from);
	memcpy(&pri, imsg->data, sizeof(pri));
	memcpy(line, (char *)imsg->data + sizeof(pri), len - sizeof(pri));
	len -= sizeof(pri);
	if (pri < LOG_EMERG || pri > LOG_DEBUG || line[len - 1] != '\0')
		fatalx("bad IMSG_LOG from %s", from);
	for (i = 0; i + 1 < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	/*
	 * The parent's syslog ident and pid are on every line: the child's
	 * name says who wrote it, unless the line already begins so.
	 */
	n = strlen(from);
	if ((strncmp(line, from, n) == 0 && line[n] == ':') ||
	    strncmp(line, "fatal in ", 9) == 0)
		log_relay(pri, "%s", line);
	else
		log_relay(pri, "%s: %s", from, line);
	return 1;
}
