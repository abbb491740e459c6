/*
 * Logging in the OpenBSD daemons' shape: the caller says once whether the
 * process runs in the foreground (stderr) or as a daemon (syslog), and
 * every function after that keeps errno intact so a log line never
 * changes what the caller reports next.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int	 log_foreground = 1;
static int	 log_verbose;
static const char *log_procname;
static void	(*log_sink)(void *, int, const char *);
static void	*log_sink_arg;

/*
 * Opens syslog at once (LOG_NDELAY): the children chroot to a directory
 * without /dev/log, so the socket must exist before they do.
 */
void
log_init(int foreground, int facility)
{
	log_foreground = foreground;
	if (!foreground)
		openlog("wgd", LOG_PID | LOG_NDELAY, facility);
	tzset();
}

/*
 * A child of the daemon: no syslog socket of its own, its lines go to
 * the sink (log_setsink) unless it runs in the foreground.
 */
void
log_init_child(int foreground)
{
	log_foreground = foreground;
	tzset();
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		log_procname = name;
}

/*
 * A daemon's children hand their lines to the parent, which logs them:
 * a sandboxed child has no socket of its own to syslog, and glibc would
 * open a new one after a syslogd restart.  In the foreground they still
 * write to stderr.
 */
void
log_setsink(void (*sink)(void *, int, const char *), void *arg)
{
	log_sink = sink;
	log_sink_arg = arg;
}

/* A line from a child, at its priority, whatever the verbosity here. */
void
log_relay(int priority, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(priority, fmt, ap);
	va_end(ap);
}

void
log_setverbose(int level)
{
	log_verbose = level;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
vlog(int priority, const char *fmt, va_list ap)
{
	char	 msg[LOG_LINE_MAX];
	int	 saved_errno = errno;

	if (log_foreground) {
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else if (log_sink != NULL) {
		(void)vsnprintf(msg, sizeof(msg), fmt, ap);
		log_sink(log_sink_arg, priority, msg);
	} else
		vsyslog(priority, fmt, ap);
	errno = saved_errno;
}

static void
logit(int priority, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(priority, fmt, ap);
	va_end(ap);
}

/* Logs fmt followed by the text of errno, as warn(3) does. */
static void
vlog_errno(int priority, const char *fmt, va_list ap)
{
	char	*msg;
	int	 saved_errno = errno;

	if (fmt == NULL)
		logit(priority, "%s", strerror(saved_errno));
	else if (vasprintf(&msg, fmt, ap) == -1)
		logit(priority, "%s", strerror(saved_errno));
	else {
		logit(priority, "%s: %s", msg, strerror(saved_errno));
		free(msg);
	}
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* Says which process died: with three of them that is half the story. */
static void
vfatalc(int code, const char *emsg, va_list ap)
{
	char		 s[1024];
	const char	*sep = ": ";
	const char	*who = log_procname != NULL ? log_procname : "wgd";

	if (emsg != NULL)
		(void)vsnprintf(s, sizeof(s), emsg, ap);
	else {
		s[0] = '\0';
		sep = "";
	}
	if (code != 0)
		logit(LOG_CRIT, "fatal in %s: %s%s%s", who, s,
		    emsg != NULL ? ": " : "", strerror(code));
	else
		logit(LOG_CRIT, "fatal in %s%s%s", who, sep, s);
}

void
fatal(const char *emsg, ...)
{
	va_list	 ap;
	int	 code = errno;

	va_start(ap, emsg);
	vfatalc(code, emsg, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vfatalc(0, emsg, ap);
	va_end(ap);
	exit(1);
}
