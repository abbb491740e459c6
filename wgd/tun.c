/*
 * Creates a TUN device through /dev/net/tun.  The device lives as long as
 * its descriptor: closing the last one removes the device with its
 * addresses and routes, which is how a dying wgd cleans up after itself.
 */

#include <sys/ioctl.h>

#include <net/if.h>
#include <linux/if_tun.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tun.h"

#define TUN_PATH	"/dev/net/tun"

/*
 * Returns a non-blocking, close-on-exec descriptor for the TUN device
 * named ifname, creating the device, or -1 after logging why.  Packets
 * are bare IP without the 4-byte packet information header.  The caller
 * owns the descriptor; closing it removes the device unless someone made
 * it persistent.
 */
int
tun_open(const char *ifname)
{
	struct ifreq	 ifr;
	int		 fd, saved_errno;

	if (ifname[0] == '\0' || strlen(ifname) >= sizeof(ifr.ifr_name)) {
		log_warnx("TUN device \"%s\": name must have 1 to %zu "
		    "characters", ifname, sizeof(ifr.ifr_name) - 1);
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1) {
		log_warn("%s: open %s", ifname, TUN_PATH);
		return -1;
	}

	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	/*
	 * The data path will add IFF_VNET_HDR here, followed by
	 * TUNSETOFFLOAD, once it can split and coalesce segments.
	 */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		saved_errno = errno;
		if (errno == EBUSY)
			log_warnx("%s: TUN device in use by another process",
			    ifname);
		else
			log_warn("%s: cannot create TUN device", ifname);
		close(fd);
		errno = saved_errno;
		return -1;
	}

	/*
	 * A name with "%d" in it is a template the kernel fills in; the
	 * configuration names one device, so any other name is an error.
	 */
	if (strncmp(ifr.ifr_name, ifname, sizeof(ifr.ifr_name)) != 0) {
		log_warnx("%s: the kernel named the TUN device %.*s", ifname,
		    (int)sizeof(ifr.ifr_name), ifr.ifr_name);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}
