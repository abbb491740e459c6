/*
 * Creates a TUN device through /dev/net/tun, with a virtio_net_hdr
 * on every packet and the kernel's segmentation offloads switched on.
 * The device lives as long as its descriptor: closing the last one
 * removes the device with its addresses and routes, which is how a
 * dying wgd cleans up after itself.
 */

#include <sys/ioctl.h>

#include <net/if.h>
#include <linux/if_tun.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tun.h"

#define TUN_PATH	"/dev/net/tun"

/* The offloads wgd can take but USO: checksums and TCP segmentation. */
#define TUN_OFFLOADS	(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

/*
 * Asks for the offloads, USO first: a kernel without it (6.1) refuses
 * the whole set with EINVAL.  WGD_TEST_NO_USO, for the tests only,
 * makes that first try fail as such a kernel does.
 */
static int
tun_offload(int fd, const char *ifname, unsigned int *offload)
{
	unsigned int	 want = TUN_OFFLOADS | TUN_USO;

	if (getenv("WGD_TEST_NO_USO") == NULL &&
	    ioctl(fd, TUNSETOFFLOAD, want) == 0) {
		*offload = want;
		return 0;
	}
	want = TUN_OFFLOADS;
	if (ioctl(fd, TUNSETOFFLOAD, want) == -1) {
		log_warn("%s: TUNSETOFFLOAD", ifname);
		return -1;
	}
	log_debug("%s: no UDP segmentation offload in this kernel", ifname);
	*offload = want;
	return 0;
}

/*
 * Returns a non-blocking, close-on-exec descriptor for the TUN device
 * named ifname, creating the device, or -1 after logging why.  Packets
 * are bare IP after a virtio_net_hdr (vnet.h) without the 4-byte packet
 * information header; *offload says which TUN_F_ offloads the kernel
 * took, so the reader knows what super-packets may come.  The caller
 * owns the descriptor; closing it removes the device unless someone
 * made it persistent.
 */
int
tun_open(const char *ifname, unsigned int *offload)
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
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
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
	if (tun_offload(fd, ifname, offload) == -1) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return -1;
	}
	return fd;
}
