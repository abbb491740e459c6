/*
 * wgctl doctor's checks of the system (SPEC "wgctl doctor"): what stands
 * between a phone and the home network.  The same checks run in two
 * places: in the doctor process the parent starts for a running wgd
 * (doctor_proc.c), and in wgctl itself, from what wgd -nv prints of a
 * file, when no wgd runs.  The checks of peers are wgctl's (doctor.c
 * there): they read what wgctl show reads.
 */

#ifndef WGD_DOCTOR_H
#define WGD_DOCTOR_H

#include <sys/types.h>

#include <net/if.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

/* A line of output, "FAIL: ..." or "  fix: ...", without the newline. */
#define DOCTOR_LINE_MAX		512

enum doctor_level {
	DOCTOR_OK,
	DOCTOR_WARN,
	DOCTOR_FAIL
};

/* What the checks need to know of one interface. */
struct doctor_iface {
	char			 name[IFNAMSIZ];
	uint16_t		 listen_port;	/* bound, or the file's */
	struct wgd_prefixes	 addresses;
	char			 masquerade[IFNAMSIZ];	/* "": none */
	char			 endpoint_host[WGD_HOST_MAX + 1];
	uint16_t		 endpoint_port;	/* 0: the listen port */
	int			 dns_tunnel;	/* as wgd runs it: auto too */
	int			 dns_auto;	/* from a file: wgd decides */
	struct wgd_prefixes	 dns;		/* client dns servers */
	struct wgd_prefixes	 client_allowed; /* client allowed-ips */
	uint16_t		 dns_port;	/* the forwarder's; 0: none */
};

struct doctor {
	/* wgd runs: its sockets, table and forwarder are checked too. */
	int			 running;
	pid_t			 wgd_pids[2];	/* parent, engine: not others */
	int			 nfail;
	void			(*line)(void *, const char *);
	void			*arg;
	/*
	 * Running: the engine holds the listen port.  probe_arm tells it a
	 * probe's token; probe_fd becomes readable when the parent has
	 * news, and probe_seen reads it: 1 when it was that token, 0 not
	 * (yet), -1 on error.
	 */
	void			(*probe_arm)(void *, const char *,
				    const uint8_t *);
	int			(*probe_seen)(void *, const char *,
				    const uint8_t *);
	int			 probe_fd;
};

void	doctor_report(struct doctor *, enum doctor_level, const char *,
	    const char *, ...)
	    __attribute__((__format__(printf, 4, 5)));

char	*doctor_check_conf(struct doctor *, const char *, const char *);

/* Every check of one interface, in SPEC's order. */
void	doctor_check_iface(struct doctor *, const struct doctor_iface *);

void	doctor_iface_free(struct doctor_iface *);

/* Between the doctor's files: its checks, and what they share. */
struct sockaddr;
struct sockaddr_in;

/* One route of the main table, from /proc/net/route. */
struct doctor_route {
	char			 dev[IFNAMSIZ];
	struct wgd_prefix	 dst;
};

int	doctor_check_endpoint(struct doctor *, const struct doctor_iface *,
	    struct sockaddr_in *);
void	doctor_check_probe(struct doctor *, const struct doctor_iface *,
	    struct sockaddr_in *);
void	doctor_check_firewall(struct doctor *, const struct doctor_iface *);
void	doctor_check_dns(struct doctor *, const struct doctor_iface *);
int	doctor_is_local(const struct sockaddr *);
uint64_t doctor_now_ms(void);
void	doctor_default_dev(char *, size_t);
int	doctor_route_next_v4(FILE *, struct doctor_route *);

#endif /* WGD_DOCTOR_H */
