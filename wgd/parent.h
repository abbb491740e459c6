/*
 * The parent process: root, small.  It owns the configuration, the
 * system side of each interface (TUN device, addresses, routes, UDP
 * sockets), the state directory and the control sockets, and it
 * supervises the children.
 */

#ifndef WGD_PARENT_H
#define WGD_PARENT_H

#include <sys/types.h>

#include "config.h"
#include "imsgev.h"

struct nl_handle;
struct evdns_base;

/* The address an endpoint name last resolved to, per peer. */
struct resolved {
	TAILQ_ENTRY(resolved)	 entry;
	char			 iface[IFNAMSIZ];
	char			 peer[WGD_PEER_NAME_MAX + 1];
	char			 host[WGD_HOST_MAX + 1];
	uint16_t		 port;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};
TAILQ_HEAD(resolved_list, resolved);

/* A bound UDP port: the parent's own copy of its sockets. */
struct port_socks {
	TAILQ_ENTRY(port_socks)	 entry;
	uint16_t		 port;
	int			 fd4;
	int			 fd6;		/* -1 without IPv6 */
	uint32_t		 mark;		/* SO_MARK, 0: none */
};
TAILQ_HEAD(port_list, port_socks);

struct wgd {
	struct wgd_config	*conf;
	const char		*conffile;
	int			 debug;
	int			 verbose;
	int			 standalone;	/* wgd ifname, for wg(8) */
	struct nl_handle	*nl;
	pid_t			 engine_pid;
	pid_t			 control_pid;
	pid_t			 dns_pid;	/* 0: no forwarder */
	pid_t			 dns_stopped;	/* told to go, not yet reaped */
	struct imsgev		 engine;
	struct imsgev		 control;
	struct imsgev		 dnsfwd;
	uint16_t		 dns_port;
	uint16_t		 dns_port_kept;	/* to bind again */
	int			 sockets_made;	/* control sockets to remove */
	struct port_list	 ports;
	struct event_base	*base;
	struct evdns_base	*dns;
	struct event		 resolve_ev;
	struct resolved_list	 resolved;
	pid_t			 doctor_pid;	/* 0: no doctor runs */
	int			 doctor_reaped;	/* by SIGCHLD, before EOF */
	uint32_t		 doctor_client;	/* whom its lines go to */
	struct imsgev		 doctor;
	struct event		 doctor_timer;
	void			(*ready)(void);	/* until the engine has it */
};

/*
 * Descriptors made for an interface, on their way to the engine; -1
 * where the engine keeps the one it has.
 */
struct iface_fds {
	char			 name[IFNAMSIZ];
	int			 tun;
	unsigned int		 tun_offload;	/* TUN_F_ bits taken */
	int			 udp4;
	int			 udp6;
	uint16_t		 port;		/* bound, when udp4 is set */
};

/* iface.c: the system side of interfaces */
int	iface_load_key(const struct wgd_config *, struct wgd_iface_conf *);
int	iface_create(struct wgd *, const struct wgd_iface_conf *,
	    struct iface_fds *);
int	iface_rebind(struct wgd *, const struct wgd_iface_conf *,
	    struct iface_fds *);
int	iface_bind(struct wgd *, const char *, uint16_t, struct iface_fds *);
void	ports_prune(struct wgd *, const struct wgd_config *);
int	port_mark(struct wgd *, uint16_t, uint32_t);
void	iface_update(struct wgd *, const struct wgd_iface_conf *,
	    const struct wgd_iface_conf *, int);
void	iface_fds_init(struct iface_fds *, const char *);
void	iface_fds_close(struct iface_fds *);

/* resolve.c: endpoint names, resolved without blocking */
void	resolve_init(struct wgd *);
void	resolve_all(struct wgd *, int);

/* dnsfwd.c: the DNS forwarder's sockets and process */
void	dnsfwd_apply(struct wgd *);
void	dnsfwd_stop(struct wgd *);

/* reload.c: a new configuration, applied as a difference */
int	reload(struct wgd *, uint32_t);
void	reload_undone(struct wgd *, const char *);
void	reload_applied(struct wgd *);

/* uapi_sock.c: the userspace API sockets, port and fwmark */
struct imsg;
int	uapi_socket_add(struct wgd *, const char *);
void	uapi_socket_remove(struct wgd *, const char *);
void	uapi_sockets_remove(void);
const char *uapi_socket_path(const char *);
void	uapi_watch_socket(struct wgd *, const char *, void (*)(struct wgd *));
void	uapi_bind(struct wgd *, struct imsg *);

/* doctor_proc.c: wgctl doctor's checks, in a process of their own */
void	doctor_start(struct wgd *, struct imsg *);
void	doctor_probe_seen(struct wgd *, struct imsg *);
void	doctor_main(int) __attribute__((__noreturn__));

/* parent.c */
int	control_socket(const char *, mode_t);
void	parent_send_config(struct wgd *, const struct wgd_config *,
	    struct iface_fds *, size_t);
void	parent_reply(struct wgd *, uint32_t, int, const char *);
void	parent_reply_end(struct wgd *, uint32_t, int);
void	parent_main(struct wgd *, void (*)(void)) __attribute__((__noreturn__));

#endif /* WGD_PARENT_H */
