/*
 * What wgd's processes and wgctl say to each other: every message type in
 * one enum, grouped by direction, each with its fixed-size payload.  No
 * pointers cross a process boundary; strings are bounded arrays that the
 * receiver checks for a NUL before use.
 */

#ifndef WGD_WGD_H
#define WGD_WGD_H

#include <sys/socket.h>

#include <net/if.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "failmem.h"
#include "imsg.h"
#include "key.h"
#include "probe.h"

#define WGD_CHROOT		"/var/empty"
/* Where wg(8) looks for userspace interfaces: NAME.sock. */
#define WGD_UAPI_DIR		"/var/run/wireguard"

/* fd 3 of a child is its socketpair to the parent. */
#define WGD_CHILD_FD		3
#define WGD_IFNAME_FD		4	/* engine and control: ifname.c */

enum wgd_proc {
	PROC_PARENT,
	PROC_ENGINE,
	PROC_CONTROL,
	PROC_DNS,
	PROC_DOCTOR
};

enum imsg_type {
	IMSG_NONE,

	/* parent -> engine: a configuration, as a transaction */
	IMSG_RECONF_BEGIN,		/* struct msg_reconf */
	IMSG_RECONF_IFACE,		/* struct msg_iface */
	IMSG_RECONF_PEER,		/* struct msg_peer */
	IMSG_RECONF_ALLOWED_IPS,	/* struct wgd_prefix[], last peer */
	IMSG_RECONF_END,
	IMSG_TUN_FD,			/* fd; struct msg_tun */
	IMSG_UDP_FD,			/* fd; struct msg_udp */
	IMSG_PEER_ENDPOINT,		/* struct msg_endpoint: a name resolved */

	/* parent -> control */
	IMSG_CONTROL_FD,		/* fd; struct msg_control_fd */

	/* parent -> engine and control: their socketpair to each other */
	IMSG_CHILD_SOCKET,		/* fd */

	/* parent -> both children */
	IMSG_LOG_VERBOSE,		/* int */

	/* wgctl -> control -> parent or engine (peerid: client id) */
	IMSG_CTL_SHOW,			/* struct ctl_show */
	IMSG_CTL_RELOAD,
	IMSG_CTL_LOG_VERBOSE,		/* int */
	IMSG_CTL_PEER_CONF,		/* struct ctl_peer_req; main socket */
	IMSG_CTL_DOCTOR,		/* struct ctl_doctor; main socket */

	/* replies, back the same way (peerid: client id) */
	IMSG_CTL_IFACE,			/* struct ctl_iface */
	IMSG_CTL_PEER,			/* struct ctl_peer */
	IMSG_CTL_ALLOWED_IPS,		/* struct wgd_prefix[], last peer */
	IMSG_CTL_LINE,			/* text for stdout, NUL-terminated */
	IMSG_CTL_ERROR,			/* text for stderr, NUL-terminated */
	IMSG_CTL_END,			/* struct ctl_end */
	IMSG_CTL_CONF,			/* a client configuration, NUL-ended */

	/* control -> engine: the userspace API (peerid: client id) */
	IMSG_UAPI_GET,			/* struct msg_uapi */
	IMSG_UAPI_SET_BEGIN,		/* struct msg_uapi */
	IMSG_UAPI_SET_OPS,		/* struct uapi_op[] */
	IMSG_UAPI_SET_END,

	/* engine -> control (peerid: client id) */
	IMSG_UAPI_TEXT,			/* part of a get reply, no NUL */
	IMSG_UAPI_DONE,			/* int32_t: 0 or a positive errno */

	/* engine -> parent */
	IMSG_RECONF_UNDONE,		/* text: a runtime change undone */
	IMSG_RECONF_DONE,		/* the configuration is applied */
	IMSG_TUN_GONE,			/* struct msg_ifname: device deleted */

	/* engine -> parent -> engine: a set's port and fwmark */
	IMSG_UAPI_BIND,			/* struct msg_uapi_bind */
	IMSG_UAPI_BIND_FD,		/* fd; struct msg_udp */
	IMSG_UAPI_BOUND,		/* struct msg_uapi_bind, error set */

	/* parent -> control: an interface's userspace API socket */
	IMSG_UAPI_FD,			/* fd; struct msg_uapi */
	IMSG_UAPI_CLOSE,		/* struct msg_uapi: interface gone */

	/* parent -> dns */
	IMSG_DNS_FD,			/* fd; struct msg_dns_fd */
	IMSG_DNS_CLIENTS,		/* struct wgd_prefix[]: who may ask */
	IMSG_DNS_SERVERS,		/* struct wgd_prefix[]: whom to ask */

	/* doctor -> parent -> engine: a port-forward probe's token */
	IMSG_PROBE_ARM,			/* struct msg_probe */
	/* engine -> parent -> doctor: armed; it came back, on that port */
	IMSG_PROBE_ARMED,		/* struct msg_probe */
	IMSG_PROBE_SEEN,		/* struct msg_probe */

	/* parent -> doctor: what to check */
	IMSG_DOCTOR_IFACE,		/* struct msg_doctor_iface */
	IMSG_DOCTOR_ADDRS,		/* struct wgd_prefix[], last iface */
	IMSG_DOCTOR_DNS,		/* struct wgd_prefix[], last iface */
	IMSG_DOCTOR_CLIENT_ALLOWED,	/* struct wgd_prefix[], last iface */
	IMSG_DOCTOR_RUN,		/* struct msg_doctor_run */

	/* doctor -> parent */
	IMSG_DOCTOR_LINE,		/* text for wgctl, NUL-terminated */
	IMSG_DOCTOR_END,		/* struct ctl_end */

	/* every child -> parent, when not in the foreground */
	IMSG_LOG,			/* int32_t priority; text, NUL-ended */

	IMSG_MAX
};

/* An interface to check, as doctor.h's struct doctor_iface, less lists. */
struct msg_doctor_iface {
	char			 name[IFNAMSIZ];
	uint16_t		 listen_port;
	char			 masquerade[IFNAMSIZ];
	char			 endpoint_host[WGD_HOST_MAX + 1];
	uint16_t		 endpoint_port;
	uint8_t			 dns_tunnel;	/* auto decided */
	uint16_t		 dns_port;
};

struct msg_probe {
	char			 iface[IFNAMSIZ];
	uint8_t			 token[PROBE_TOKEN_LEN];
	uint16_t		 port;		/* SEEN: where it arrived */
};

struct msg_doctor_run {
	int32_t			 wgd_pids[2];	/* parent, engine */
	char			 conffile[PATH_MAX];	/* to check again */
};

struct msg_ifname {
	char			 name[IFNAMSIZ];
};

/* With the first reconfiguration: how many threads seal and open. */
struct msg_reconf {
	uint32_t		 engine_threads;
};

struct msg_tun {
	char			 name[IFNAMSIZ];
	uint32_t		 offload;	/* TUN_F_ bits */
};

struct msg_udp {
	char			 name[IFNAMSIZ];
	uint8_t			 af;
};

struct msg_iface {
	char			 name[IFNAMSIZ];
	uint8_t			 has_privkey;
	uint8_t			 privkey[WG_KEY_LEN];
	uint16_t		 listen_port;	/* bound, never 0 */
	uint32_t		 fwmark;
	uint32_t		 mtu;
};

struct msg_peer {
	char			 iface[IFNAMSIZ];
	char			 name[WGD_PEER_NAME_MAX + 1];
	uint8_t			 has_pubkey;
	uint8_t			 has_psk;
	uint8_t			 pubkey[WG_KEY_LEN];
	uint8_t			 psk[WG_KEY_LEN];
	char			 endpoint_host[WGD_HOST_MAX + 1];
	uint16_t		 endpoint_port;
	uint16_t		 keepalive;
	uint8_t			 disabled;
	uint8_t			 limited;	/* by forward-to */
	/* A managed peer's: where its client conf sends it, for hints. */
	char			 client_endpoint[WGD_HOST_MAX + 9];
};

struct msg_uapi {
	char			 name[IFNAMSIZ];
};

struct msg_uapi_bind {
	char			 name[IFNAMSIZ];
	uint8_t			 set_port;
	uint8_t			 set_fwmark;
	uint16_t		 port;		/* 0: any; the bound one back */
	uint32_t		 fwmark;
	int32_t			 error;		/* back: 0 or positive errno */
};

struct msg_dns_fd {
	uint8_t			 af;
	uint8_t			 tcp;		/* else UDP */
};

struct msg_endpoint {
	char			 iface[IFNAMSIZ];
	char			 peer[WGD_PEER_NAME_MAX + 1];
	uint32_t		 len;		/* of ss; 0: does not resolve */
	struct sockaddr_storage	 ss;
};

/* Prefixes in one IMSG_*_ALLOWED_IPS message, at most. */
#define MSG_PREFIXES_MAX	((IMSG_MAXDATA) / sizeof(struct wgd_prefix))

enum control_kind {
	CONTROL_MAIN,
	CONTROL_RESTRICTED
};

struct msg_control_fd {
	uint8_t			 kind;		/* enum control_kind */
};

enum ctl_show_what {
	SHOW_ALL,
	SHOW_IFACE,
	SHOW_PEER
};

struct ctl_show {
	uint8_t			 what;		/* enum ctl_show_what */
	char			 name[WGD_PEER_NAME_MAX + 1];
};

/*
 * Why the engine dropped packets, counted per interface and shown by
 * wgctl show -j under these names, in this order.
 */
enum drop_reason {
	DROP_SHORT,		/* shorter than its message type needs */
	DROP_TYPE,		/* unknown message type or size */
	DROP_MAC,		/* handshake with a wrong MAC1 */
	DROP_COOKIE_SENT,	/* under load, no valid MAC2: answered */
	DROP_RATELIMIT,		/* under load, over the source's rate or
				   the handshakes of one wake-up */
	DROP_HANDSHAKE,		/* did not decrypt or verify */
	DROP_UNKNOWN_PEER,	/* a static key we do not know */
	DROP_REPLAYED_HANDSHAKE, /* timestamp not newer, or a flood */
	DROP_UNKNOWN_INDEX,	/* no session or handshake by that index */
	DROP_EXPIRED,		/* a session past its limits */
	DROP_DECRYPT,		/* transport data that did not authenticate */
	DROP_REPLAY,		/* counter seen or too old */
	DROP_INNER,		/* not an IP packet inside */
	DROP_SOURCE,		/* inner source outside the allowed ips */
	DROP_NO_ROUTE,		/* outgoing, no peer for the destination */
	DROP_NO_ENDPOINT,	/* outgoing, peer's address unknown */
	DROP_QUEUE_FULL,	/* waiting for a handshake, queue full */
	DROP_IO,		/* the kernel refused to send or write */
	DROP_HANDSHAKE_TIMEOUT,	/* outgoing, waited for a handshake in vain */
	DROP_MAX
};

#define DROP_NAMES {							\
	"short", "bad_type", "bad_mac1", "cookie_sent", "rate_limited",	\
	"bad_handshake", "unknown_peer", "replayed_handshake",		\
	"unknown_index", "expired_session", "bad_auth", "replayed",	\
	"bad_inner_packet", "source_not_allowed", "no_route",		\
	"no_endpoint", "queue_full", "io_error", "handshake_timeout"	\
}

/* A kind of refused packet: when last, how often, from where. */
struct ctl_fail {
	int64_t			 when;		/* epoch s; 0: never */
	uint64_t		 count;
	char			 from[INET6_ADDRSTRLEN + 16];
};

struct ctl_iface {
	char			 name[IFNAMSIZ];
	uint8_t			 pubkey[WG_KEY_LEN];
	uint16_t		 listen_port;
	uint64_t		 drops[DROP_MAX];
	struct ctl_fail		 fails[IFACE_FAIL_MAX];
	uint64_t		 handshakes_sent;	/* initiations */
	uint64_t		 handshakes_received;	/* accepted */
	uint64_t		 handshakes_failed;	/* refused */
};

struct ctl_peer {
	char			 iface[IFNAMSIZ];
	char			 name[WGD_PEER_NAME_MAX + 1]; /* "": runtime */
	uint8_t			 has_pubkey;
	uint8_t			 runtime;	/* added through the API */
	uint8_t			 disabled;	/* disable in wgd.conf */
	uint8_t			 pubkey[WG_KEY_LEN];
	char			 endpoint[WGD_HOST_MAX + 1 + 8];
	uint16_t		 keepalive;
	int64_t			 last_handshake;	/* epoch s, 0: never */
	uint64_t		 rx_bytes;
	uint64_t		 tx_bytes;
	uint8_t			 rx_any;	/* anything came since start */
	uint8_t			 unresolved;	/* its endpoint name, now */
	char			 endpoint_host[WGD_HOST_MAX + 1];
	char			 client_endpoint[WGD_HOST_MAX + 9];
	struct ctl_fail		 fails[PEER_FAIL_MAX];
	/* The interface's, from this peer's last endpoint. */
	struct ctl_fail		 iface_fails[IFACE_FAIL_MAX];
};

/* wgctl peer NAME conf|qr|png: the managed peer's client configuration. */
struct ctl_peer_req {
	char			 name[WGD_PEER_NAME_MAX + 1];
};

/* wgctl doctor [interface]: "" for every interface. */
struct ctl_doctor {
	char			 name[IFNAMSIZ];
};

struct ctl_end {
	int32_t			 status;	/* wgctl's exit status */
};

/* True when a fixed-size string field holds a NUL, as it must. */
#define STR_TERMINATED(s)	(memchr((s), '\0', sizeof(s)) != NULL)

#endif /* WGD_WGD_H */
