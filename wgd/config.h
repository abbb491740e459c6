/*
 * The configuration as parse.y builds it from /etc/wgd.conf: globals,
 * interfaces, their peers and the options of generated client configs.
 * The parent owns it; the children get only what they need, as imsgs.
 */

#ifndef WGD_CONFIG_H
#define WGD_CONFIG_H

#include <sys/queue.h>
#include <sys/un.h>

#include <limits.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "key.h"

#define WGD_CONF		"/etc/wgd.conf"
#define WGD_SOCKET		"/var/run/wgd.sock"
#define WGD_STATE_DIR		"/var/lib/wgd"
#define WGD_USER		"_wgd"
#define WGD_PORT		51820
#define WGD_MTU			1420
#define WGD_MTU_MIN		576
#define WGD_MTU_MIN_IPV6	1280
#define WGD_MTU_MAX		65535
#define WGD_THREADS_MAX		256
#define WGD_PEER_NAME_MAX	64
#define WGD_HOST_MAX		253	/* a DNS name */
#define WGD_USER_MAX		32
#define WGD_SOCKPATH_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path))

/* A growable list of addresses or prefixes. */
struct wgd_prefixes {
	struct wgd_prefix	*v;
	size_t			 n;
};

enum key_source {
	KEY_NONE,		/* managed or generated: the state dir's job */
	KEY_INLINE,
	KEY_FILE
};

/* Where a statement was read, so later checks can point at it. */
struct conf_where {
	char			*file;
	int			 line;
};

/* What generated client configuration files contain. */
struct wgd_client_conf {
	int			 endpoint_set;
	char			 endpoint_host[WGD_HOST_MAX + 1];
	uint16_t		 endpoint_port;	/* 0: the listen port */
	int			 dns_set;
	int			 dns_auto;
	int			 dns_tunnel;	/* wgd's forwarder */
	struct wgd_prefixes	 dns;
	int			 allowed_ips_set;
	struct wgd_prefixes	 allowed_ips;
	int			 keepalive_set;
	uint16_t		 keepalive;
};

struct wgd_peer_conf {
	TAILQ_ENTRY(wgd_peer_conf) entry;
	char			 name[WGD_PEER_NAME_MAX + 1];
	int			 has_pubkey;	/* else managed */
	uint8_t			 pubkey[WG_KEY_LEN];
	enum key_source		 psk_source;
	uint8_t			 psk[WG_KEY_LEN];
	char			 psk_file[PATH_MAX];
	struct wgd_prefixes	 allowed_ips;
	struct wgd_prefixes	 addresses;	/* fixed, managed peers */
	char			 endpoint_host[WGD_HOST_MAX + 1];
	uint16_t		 endpoint_port;
	uint16_t		 keepalive;
	int			 disabled;	/* kept, but no handshake */
	int			 forward_to_set;	/* limited to forward_to */
	struct wgd_prefixes	 forward_to;
	struct wgd_client_conf	 client;	/* its own client options */
	struct conf_where	 where;

	/*
	 * A managed peer's keys and addresses, from the state dir: filled
	 * by provision() in the parent, never by wgd -n.
	 */
	int			 managed;
	int			 provisioned;
	uint8_t			 prov_private[WG_KEY_LEN];
	uint8_t			 prov_public[WG_KEY_LEN];
	uint8_t			 prov_psk[WG_KEY_LEN];
	struct wgd_prefixes	 prov_addresses;
};
TAILQ_HEAD(wgd_peer_confs, wgd_peer_conf);


struct wgd_iface_conf {
	TAILQ_ENTRY(wgd_iface_conf) entry;
	char			 name[IFNAMSIZ];
	enum key_source		 key_source;
	uint8_t			 privkey[WG_KEY_LEN];
	char			 key_file[PATH_MAX];
	uint16_t		 listen_port;	/* 0: any, until bound */
	uint32_t		 fwmark;	/* set through the API only */
	int			 rt_port;	/* the API changed the port */
	uint16_t		 file_port;	/* the file's, while rt_port */
	struct wgd_prefixes	 addresses;
	unsigned int		 mtu;
	char			 masquerade[IFNAMSIZ];
	int			 dns_redirect;	/* run time: port 53 is wgd's */
	struct wgd_client_conf	 client;
	struct wgd_peer_confs	 peers;
	struct conf_where	 where;
};
TAILQ_HEAD(wgd_iface_confs, wgd_iface_conf);

struct wgd_config {
	char			 user[WGD_USER_MAX + 1];
	char			 socket[WGD_SOCKPATH_MAX];
	char			 rsocket[WGD_SOCKPATH_MAX];
	char			 state_dir[PATH_MAX];
	unsigned int		 engine_threads;	/* 0: one per CPU */
	struct wgd_iface_confs	 ifaces;
};

/* Errors and warnings found in a configuration, in the order found. */
struct conf_msg {
	TAILQ_ENTRY(conf_msg)	 entry;
	int			 warning;
	char			*text;		/* "file:line: message" */
};
TAILQ_HEAD(conf_msgs, conf_msg);

/* parse.y */
struct wgd_config	*parse_config(const char *, struct conf_msgs *);
int			 cmdline_symset(const char *);

/* config.c */
struct wgd_config	*config_new(void);
struct wgd_config	*config_standalone(const char *);
void			 config_peer_client(const struct wgd_iface_conf *,
			    const struct wgd_peer_conf *,
			    struct wgd_client_conf *);
void			 config_free(struct wgd_config *);
struct wgd_iface_conf	*config_iface_new(struct wgd_config *, const char *);
struct wgd_peer_conf	*config_peer_new(struct wgd_iface_conf *,
			    const char *);
void			 config_defaults(struct wgd_config *);
int			 config_check(struct wgd_config *, struct conf_msgs *);
int			 prefixes_add(struct wgd_prefixes *,
			    const struct wgd_prefix *);
void			 prefixes_free(struct wgd_prefixes *);
int			 conf_valid_peer_name(const char *);
int			 conf_valid_ifname(const char *);
int			 conf_read_key_file(const char *, uint8_t [WG_KEY_LEN],
			    char *, size_t);

void			 conf_msg(struct conf_msgs *, int,
			    const struct conf_where *, const char *, ...)
			    __attribute__((__format__(printf, 4, 5)));
int			 conf_msgs_errors(const struct conf_msgs *);
void			 conf_msgs_print(const struct conf_msgs *, FILE *);
void			 conf_msgs_free(struct conf_msgs *);

/* printconf.c */
void			 print_config(FILE *, const struct wgd_config *);

#endif /* WGD_CONFIG_H */
