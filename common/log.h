/*
 * Logging for every wgd process: syslog when daemonized, stderr in the
 * foreground.  Each process names itself with log_procinit() so a line
 * says which of parent, engine or control wrote it.
 */

#ifndef WGD_LOG_H
#define WGD_LOG_H

#include <stdarg.h>

/* A line handed from a child to the parent, NUL included, at most. */
#define LOG_LINE_MAX	1024

void	log_init(int foreground, int facility);
void	log_init_child(int foreground);
void	log_setsink(void (*)(void *, int, const char *), void *);
void	log_relay(int, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
void	log_procinit(const char *name);
void	log_setverbose(int level);
int	log_getverbose(void);

void	log_warn(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	vlog(int priority, const char *, va_list)
	    __attribute__((__format__(printf, 2, 0)));
void	fatal(const char *, ...)
	    __attribute__((__format__(printf, 1, 2), __noreturn__));
void	fatalx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2), __noreturn__));

#endif /* WGD_LOG_H */
