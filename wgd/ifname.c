/*
 * if_nametoindex(3) and if_indextoname(3) open a socket for their ioctl,
 * which the engine's and control's seccomp filters refuse.  The parent
 * hands those children one end of an AF_UNIX stream socketpair whose
 * other end it has closed (WGD_IFNAME_FD): nothing can be sent on it,
 * not even to an address of its own choosing (a datagram socket could,
 * to any abstract socket), or received, and the two read-only
 * netdevice ioctls, which any socket answers for its network
 * namespace, are all it is good for.
 * Elsewhere (the parent, wgctl, the tests) libc's functions do.
 */

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <string.h>

#include "ifname.h"

static int	 ifname_fd = -1;

void
ifname_init(int fd)
{
	ifname_fd = fd;
}

/* The index of the interface name, or 0 if there is none. */
uint32_t
ifname_index(const char *name)
{
	struct ifreq	 ifr;

	if (ifname_fd == -1)
		return if_nametoindex(name);
	if (strlen(name) >= sizeof(ifr.ifr_name))
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	if (ioctl(ifname_fd, SIOCGIFINDEX, &ifr) == -1 || ifr.ifr_ifindex <= 0)
		return 0;
	return (uint32_t)ifr.ifr_ifindex;
}

/* The name of interface index in buf, or NULL if there is none. */
char *
ifname_name(uint32_t index, char buf[IF_NAMESIZE])
{
	struct ifreq	 ifr;

	if (ifname_fd == -1)
		return if_indextoname(index, buf);
	if (index == 0 || index > INT32_MAX)
		return NULL;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = (int)index;
	if (ioctl(ifname_fd, SIOCGIFNAME, &ifr) == -1)
		return NULL;
	strlcpy(buf, ifr.ifr_name, IF_NAMESIZE);
	return buf;
}
