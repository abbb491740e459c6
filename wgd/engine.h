/*
 * The engine process: chrooted, unprivileged, holding the private keys.
 * It runs the WireGuard protocol and the data path over the TUN and UDP
 * descriptors the parent passes it.
 *
 * Everything here is used by the engine's one thread; the data path is
 * shaped so that later worker threads can take the crypto (a packet is
 * a buffer with headroom for the header, keypairs are looked up by
 * index), but nothing is shared across threads yet.
 */

#ifndef WGD_ENGINE_H
#define WGD_ENGINE_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>

#include <event.h>

#include "allowedips.h"
#include "config.h"
#include "cookie.h"
#include "failmem.h"
#include "hsbudget.h"
#include "key.h"
#include "noise.h"
#include "ratelimiter.h"
#include "replay.h"
#include "sandbox.h"
#include "timers.h"
#include "udpio.h"
#include "wgd.h"

/* One session's keys: current, previous or next of a peer. */
struct eng_keypair;

/* A local index in the index table: a keypair's, or a handshake's. */
struct eng_index {
	LIST_ENTRY(eng_index)	 entry;
	uint32_t		 index;
	struct eng_peer		*peer;
	struct eng_keypair	*keypair;	/* NULL: the peer's handshake */
	int			 linked;
};

struct eng_keypair {
	struct noise_keypair	 kp;
	struct eng_index	 idx;
	uint64_t		 created;	/* monotonic ns */
	uint64_t		 send_counter;
	struct replay		 replay;
	int			 retired;	/* dropped during a batch */
	struct eng_keypair	*next_retired;
};

/* Plaintext packets waiting for a session. */
struct staged_packet {
	STAILQ_ENTRY(staged_packet) entry;
	size_t			 len;
	uint8_t			 data[];
};
STAILQ_HEAD(staged_queue, staged_packet);

/*
 * What a peer has learned at run time, for show.  A reload that keeps
 * the peer's public key keeps this and its sessions.
 */
struct eng_peer_state {
	uint64_t		 rx_bytes;
	uint64_t		 tx_bytes;
	int64_t			 last_handshake;	/* epoch seconds, 0: never */
	int64_t			 last_handshake_nsec;
};

struct eng_iface;

struct eng_peer {
	TAILQ_ENTRY(eng_peer)	 entry;
	LIST_ENTRY(eng_peer)	 by_key;	/* while usable */
	struct eng_iface	*iface;

	/* From the configuration. */
	char			 name[WGD_PEER_NAME_MAX + 1];
	int			 has_pubkey;
	uint8_t			 pubkey[WG_KEY_LEN];
	int			 has_psk;
	uint8_t			 psk[WG_KEY_LEN];
	struct wgd_prefixes	 allowed_ips;
	char			 endpoint_host[WGD_HOST_MAX + 1];
	uint16_t		 endpoint_port;
	uint16_t		 keepalive;

	/* The protocol. */
	int			 running;	/* runtime set up */
	int			 keyed;		/* in the key table */
	int			 usable;	/* handshakes can use its key */
	int			 runtime;	/* added through the API */
	int			 disabled;	/* disable in wgd.conf */
	int			 limited;	/* forward-to: sources fixed */
	int			 rx_any;	/* anything came from it */
	int			 unresolved;	/* its endpoint name, lately */
	char			 client_endpoint[WGD_HOST_MAX + 9];
	int			 unconfirmed;	/* answered, no data since */
	struct fail_seen	 fails[PEER_FAIL_MAX];
	unsigned int		 rt_changed;	/* RT_ bits: the API's doing */
	size_t			 holes;		/* allowed_ips gone in a set */
	struct noise_remote	 noise;
	struct cookie_maker	 cookie;
	struct wg_timers	 timers;
	struct event		 timer_ev;
	uint64_t		 timer_scheduled;	/* deadline of timer_ev */
	struct eng_index	 hs_idx;
	struct eng_keypair	*current, *previous, *next;
	struct sockaddr_storage	 endpoint;
	socklen_t		 endpoint_len;	/* 0: unknown */
	struct udpio_local	 local;		/* we answer from; af 0: any */
	struct staged_queue	 staged;
	unsigned int		 nstaged;
	uint64_t		 last_initiation_in;	/* flood check, ns */
	struct eng_peer_state	 state;
};
TAILQ_HEAD(eng_peers, eng_peer);

/* What the userspace API changed on a peer of wgd.conf. */
#define RT_PSK		0x01
#define RT_ENDPOINT	0x02
#define RT_KEEPALIVE	0x04
#define RT_ALLOWED_IPS	0x08

struct eng_iface {
	TAILQ_ENTRY(eng_iface)	 entry;
	char			 name[IFNAMSIZ];
	int			 has_privkey;	/* else no handshakes */
	uint8_t			 privkey[WG_KEY_LEN];
	uint8_t			 pubkey[WG_KEY_LEN];
	uint16_t		 listen_port;
	uint32_t		 fwmark;	/* of the sockets, for get */
	int			 rt_privkey;	/* the API set the key */
	int			 link_down;	/* TUN writes fail with EIO */
	char			**rt_removed;	/* wgd.conf's peers it removed */
	size_t			 nrt_removed;
	uint8_t			(*rt_removed_limited)[WG_KEY_LEN];
	size_t			 nrt_removed_limited;	/* of those */
	uint32_t		 mtu;
	int			 tun_fd;
	uint32_t		 tun_offload;	/* TUN_F_ bits */
	int			 udp4_fd;
	int			 udp6_fd;
	int			 udp4_gso;	/* UDP_SEGMENT works */
	int			 udp6_gso;
	struct eng_peers	 peers;

	int			 running;
	struct event		 tun_ev;
	struct event		 udp4_ev;
	struct event		 udp6_ev;
	struct noise_local	 noise;
	struct cookie_checker	 cookie;
	struct ratelimiter	 ratelimiter;
	struct allowedips	 routes;
	uint64_t		 load_window;	/* start of the count, ns */
	unsigned int		 load_count;	/* handshakes in it */
	uint64_t		 under_load_until;
	struct hsbudget		 hsbudget;	/* handshakes' time, loaded */
	uint64_t		 drops[DROP_MAX];
	struct fail_seen	 fails[IFACE_FAIL_MAX];
	struct fail_log		 fail_log;
	uint64_t		 handshakes_sent;
	uint64_t		 handshakes_received;
	uint64_t		 handshakes_failed;
	struct event		 fail_log_ev;	/* the minute's end */
	int			 fail_log_armed;
	uint8_t			 probe_token[PROBE_TOKEN_LEN];
	int			 probe_armed;	/* by wgctl doctor */
	int			 probe_reported;
};
TAILQ_HEAD(eng_ifaces, eng_iface);

/* engine.c */
extern const struct sandbox_rule engine_syscalls[];

void	engine_main(int, int) __attribute__((__noreturn__));
void	engine_format_addr(const struct sockaddr_storage *, char *, size_t);
struct eng_iface *engine_iface(const char *);
void	engine_send_control(uint32_t, int, const void *, size_t);
void	engine_send_parent(int, int, const void *, size_t);
void	iface_set_privkey(struct eng_iface *, const uint8_t *);
void	iface_remove_peer(struct eng_iface *, struct eng_peer *);
void	iface_unroute_peer(struct eng_iface *, struct eng_peer *);
void	iface_set_udp(struct eng_iface *, int, int);
void	iface_tun_gone(struct eng_iface *);
void	iface_link_state(struct eng_iface *, int);
int	engine_probe(struct eng_iface *, const uint8_t *, size_t);

/* eng_uapi.c: the userspace API's get and set */
struct imsg;
void	uapi_get(uint32_t, struct imsg *);
void	uapi_set_begin(uint32_t, struct imsg *);
void	uapi_set_ops(uint32_t, struct imsg *);
void	uapi_set_end(uint32_t, struct imsg *);
void	uapi_bind_fd(struct imsg *);
void	uapi_bound(struct imsg *);
void	uapi_peer_del(struct eng_iface *, struct eng_peer *);

/* clock.c */
uint64_t now_ns(void);

/* peer.c: a peer's protocol state */
void	index_init(void);
void	index_add(struct eng_index *, struct eng_peer *, struct eng_keypair *);
int	index_set(struct eng_index *, uint32_t, struct eng_peer *,
	    struct eng_keypair *);
void	index_del(struct eng_index *);
struct eng_index *index_find(uint32_t);
void	peer_keys_init(void);
struct eng_peer *peer_find_key(const struct eng_iface *,
	    const uint8_t [WG_KEY_LEN]);

int	peer_start(struct eng_peer *);
void	peer_stop(struct eng_peer *);
void	peer_local_key_changed(struct eng_peer *);
void	peer_reset_sessions(struct eng_peer *);
struct udpio_local;
void	peer_set_endpoint(struct eng_peer *, const struct sockaddr *,
	    socklen_t, const struct udpio_local *);
void	peer_configured_endpoint(struct eng_peer *);
void	peer_timers_update(struct eng_peer *);
void	peer_timers_run(struct eng_peer *);
void	peer_send_initiation(struct eng_peer *, int);
void	peer_send_keepalive(struct eng_peer *);
void	peer_send_staged(struct eng_peer *);
void	peer_stage(struct eng_peer *, const uint8_t *, size_t);
int	peer_send_buf(struct eng_peer *, const void *, size_t);
void	peer_add_keypair(struct eng_peer *, struct eng_keypair *);
void	keypairs_hold(void);
void	keypairs_release(void);
int	peer_confirm_keypair(struct eng_peer *, struct eng_keypair *);
void	peer_encrypt_send(struct eng_peer *, uint8_t *, size_t);
struct vnet_pkt;
struct crypt_job;
size_t	peer_seal_prepare(struct eng_peer *, struct vnet_pkt *, size_t,
	    struct crypt_job *);
/* The most packets one peer_seal_finish() sends. */
#define PEER_SEND_MAX	512
void	peer_seal_finish(struct eng_peer *, struct crypt_job *, size_t);

/* datapath.c: packets in and out */
void	datapath_init(void);
void	datapath_tun_read(int, short, void *);
void	datapath_udp_read(int, short, void *);

#endif /* WGD_ENGINE_H */
