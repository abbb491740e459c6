/*
 * What the engine remembers of the packets it refused, to say why a
 * peer does not connect (wgctl show's hints), and the budget of log
 * lines for failed handshakes.  Fixed size: a flood cannot grow it.
 */

#ifndef WGD_FAILMEM_H
#define WGD_FAILMEM_H

#include <sys/socket.h>

#include <stdint.h>

/* Failures that name no peer, kept per interface with their source. */
enum iface_fail {
	IFACE_FAIL_MAC1,		/* the client has another server key */
	IFACE_FAIL_UNKNOWN_KEY,		/* a removed peer, or an old conf */
	IFACE_FAIL_MAX
};

/* Failures of a known peer. */
enum peer_fail {
	PEER_FAIL_REPLAYED,		/* a second device, or its clock */
	PEER_FAIL_NO_CONFIRM,		/* answered; nothing came back */
	PEER_FAIL_DECRYPT,		/* data that did not authenticate */
	PEER_FAIL_SOURCE,		/* inner source not its allowed ips */
	PEER_FAIL_MAX
};

struct fail_seen {
	int64_t			 when;		/* epoch seconds; 0: never */
	uint64_t		 count;
	struct sockaddr_storage	 from;		/* outer; for SOURCE inner */
};

#define FAIL_LOG_SOURCES	64
#define FAIL_LOG_PER_MINUTE	10

/*
 * One line per source per minute, FAIL_LOG_PER_MINUTE lines a minute in
 * all; what is left out is counted and said once the minute is over.
 */
struct fail_log {
	struct {
		struct sockaddr_storage	 src;
		uint64_t		 logged;	/* ns; 0: free */
	}			 srcs[FAIL_LOG_SOURCES];
	uint64_t		 minute;	/* ns: the window's start */
	unsigned int		 lines;		/* logged in it */
	uint64_t		 left_out;
};

void	fail_note(struct fail_seen *, const struct sockaddr *, int64_t);
int	fail_log_allow(struct fail_log *, const struct sockaddr *, uint64_t,
	    uint64_t *);
uint64_t fail_log_flush(struct fail_log *, uint64_t);
uint64_t fail_log_due(const struct fail_log *, uint64_t);

#endif /* WGD_FAILMEM_H */
