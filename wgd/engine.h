/*
 * The engine process: chrooted, unprivileged, holding the private keys.
 * It runs the WireGuard protocol and the data path over the TUN and UDP
 * descriptors the parent passes it.
 */

#ifndef WGD_ENGINE_H
#define WGD_ENGINE_H

#include <sys/queue.h>

#include <stdint.h>

#include "config.h"
#include "key.h"

/*
 * What a peer has learned at run time.  A reload that keeps the peer's
 * public key carries this over, so its sessions survive.
 */
struct eng_peer_state {
	uint64_t		 rx_bytes;
	uint64_t		 tx_bytes;
	int64_t			 last_handshake;	/* epoch seconds, 0: never */
};

struct eng_peer {
	TAILQ_ENTRY(eng_peer)	 entry;
	char			 name[WGD_PEER_NAME_MAX + 1];
	int			 has_pubkey;
	uint8_t			 pubkey[WG_KEY_LEN];
	int			 has_psk;
	uint8_t			 psk[WG_KEY_LEN];
	struct wgd_prefixes	 allowed_ips;
	char			 endpoint_host[WGD_HOST_MAX + 1];
	uint16_t		 endpoint_port;
	uint16_t		 keepalive;
	struct eng_peer_state	 state;
};
TAILQ_HEAD(eng_peers, eng_peer);

struct eng_iface {
	TAILQ_ENTRY(eng_iface)	 entry;
	char			 name[IFNAMSIZ];
	uint8_t			 privkey[WG_KEY_LEN];
	uint8_t			 pubkey[WG_KEY_LEN];
	uint16_t		 listen_port;
	uint32_t		 mtu;
	int			 tun_fd;
	int			 udp4_fd;
	int			 udp6_fd;
	struct eng_peers	 peers;
};
TAILQ_HEAD(eng_ifaces, eng_iface);

void	engine_main(int, int) __attribute__((__noreturn__));

#endif /* WGD_ENGINE_H */
