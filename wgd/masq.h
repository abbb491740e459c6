/*
 * LAN access for tunnel peers (masquerade on "IF"), done by the parent:
 * the forwarding sysctls, an nftables table of wgd's own ("inet wgd")
 * and, on hosts that run Docker, accept rules in its DOCKER-USER chain.
 */

#ifndef WGD_MASQ_H
#define WGD_MASQ_H

#include <stdint.h>

struct wgd_config;

/*
 * Makes the system match conf: called at start once the interfaces
 * exist, after every reload, and with no interface masquerading it
 * removes what an earlier call set up.  The parent only (root); it runs
 * nft and iptables and waits for them.  Returns 0, or -1 when some part
 * could not be done (logged; the rest is still done).
 */
int	masq_apply(const struct wgd_config *);

/*
 * The daemon's, once at start before masq_apply: takes over what a wgd
 * killed -9 left (the sysctls' record in /run/wgd, the table, the
 * DOCKER-USER rules), under a lock that a second wgd cannot take.
 */
void	masq_takeover(void);

/*
 * Whether the forward-to limits of conf can be enforced (nft is there,
 * the names fit its language): they are a security boundary, so wgd
 * starts or reloads only when they can.  0, or -1 with why logged.
 */
int	masq_guard_possible(const struct wgd_config *);
int	masq_guard_failed(const struct wgd_config *);

/*
 * The forwarder's port, to which the tunnel addresses' port 53 of the
 * interfaces whose clients use it is redirected; 0: none.  Takes effect
 * at the next masq_apply.
 */
void	masq_dns_port(uint16_t);

/*
 * Removes the nft table and the DOCKER-USER rules and puts back the
 * sysctls that masq_apply changed, those only, to their old values.
 * Does nothing when masq_apply never set anything up, nor when called
 * again, so it can be both called at shutdown and an atexit handler.
 */
void	masq_teardown(void);

#endif /* WGD_MASQ_H */
