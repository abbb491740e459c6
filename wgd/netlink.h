/*
 * rtnetlink requests of the parent: link state and MTU, addresses and
 * routes of the TUN devices.
 */

#ifndef WGD_NETLINK_H
#define WGD_NETLINK_H

struct nl_handle;
struct wgd_prefix;

struct nl_handle *nl_open(void);
void	 nl_close(struct nl_handle *);
int	 nl_ifindex(const char *);
int	 nl_link_set(struct nl_handle *, int, unsigned int, int);
int	 nl_link_no_linklocal(struct nl_handle *, int);
int	 nl_addr_add(struct nl_handle *, int, const struct wgd_prefix *);
int	 nl_addr_del(struct nl_handle *, int, const struct wgd_prefix *);
int	 nl_route_add(struct nl_handle *, int, const struct wgd_prefix *);
int	 nl_route_del(struct nl_handle *, int, const struct wgd_prefix *);

#endif /* WGD_NETLINK_H */
