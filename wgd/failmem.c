/*
 * The engine's memory of refused packets and its log budget for them.
 * Pure functions of their arguments (the caller gives the time), so the
 * unit tests can play a minute of flood in a moment.
 */

#include <netinet/in.h>

#include <string.h>

#include "addr.h"
#include "failmem.h"

#define NSEC_PER_MINUTE	(60ULL * 1000 * 1000 * 1000)

void
fail_note(struct fail_seen *f, const struct sockaddr *from, int64_t when)
{
	size_t	 len;

	f->when = when;
	f->count++;
	memset(&f->from, 0, sizeof(f->from));
	len = from->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
	    from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
	memcpy(&f->from, from, len);
}

/*
 * At the end of a minute with lines left out: how many, once; 0 before
 * the end or when none was.
 */
uint64_t
fail_log_flush(struct fail_log *l, uint64_t now)
{
	uint64_t	 n;

	if (l->minute == 0 || now - l->minute < NSEC_PER_MINUTE)
		return 0;
	n = l->left_out;
	l->left_out = 0;
	l->lines = 0;
	l->minute = 0;
	return n;
}

/* How long until the minute ends (ns), for a timer to flush it. */
uint64_t
fail_log_due(const struct fail_log *l, uint64_t now)
{
	if (l->minute == 0 || now - l->minute >= NSEC_PER_MINUTE)
		return 0;
	return l->minute + NSEC_PER_MINUTE - now;
}

/*
 * Whether a failed handshake from src may be logged at now (ns).  When
 * a minute with lines left out is over, *left_out says how many, once,
 * for a line of its own; else it is 0.
 */
int
fail_log_allow(struct fail_log *l, const struct sockaddr *src, uint64_t now,
    uint64_t *left_out)
{
	size_t	 i, slot = FAIL_LOG_SOURCES, oldest = 0;

	*left_out = 0;
	if (l->minute == 0 || now - l->minute >= NSEC_PER_MINUTE) {
		*left_out = l->left_out;
		l->left_out = 0;
		l->lines = 0;
		l->minute = now;
	}
	for (i = 0; i < FAIL_LOG_SOURCES; i++) {
		if (l->srcs[i].logged != 0 &&
		    addr_same_host((const struct sockaddr *)&l->srcs[i].src,
		    src)) {
			slot = i;
			break;
		}
		if (l->srcs[i].logged < l->srcs[oldest].logged)
			oldest = i;
	}
	if (slot < FAIL_LOG_SOURCES &&
	    now - l->srcs[slot].logged < NSEC_PER_MINUTE) {
		l->left_out++;
		return 0;
	}
	if (l->lines >= FAIL_LOG_PER_MINUTE) {
		l->left_out++;
		return 0;
	}
	/* Forgetting the longest quiet source costs one line at most. */
	if (slot == FAIL_LOG_SOURCES)
		slot = oldest;
	memset(&l->srcs[slot].src, 0, sizeof(l->srcs[slot].src));
	memcpy(&l->srcs[slot].src, src, src->sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	l->srcs[slot].logged = now;
	l->lines++;
	return 1;
}
