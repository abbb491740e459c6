/*
 * wgd/tun.c, wgd/netlink.c and wgd/udp.c against the running kernel.
 * Each case moves into a network namespace of its own first, so it needs
 * root and touches nothing on the host; the namespace dies with the
 * process.  What the code did is read back through ioctl(2) and ip(8),
 * not through the code under test.
 */

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_tun.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "addr.h"
#include "netlink.h"
#include "tun.h"
#include "udp.h"
#include "vnet.h"

#define IFNAME		"wgtest0"
#define IFNAME2		"wgtest1"
#define PORT		51820

static void
enter_netns(void)
{
	if (geteuid() != 0)
		atf_tc_skip("needs root for a network namespace");
	if (unshare(CLONE_NEWNET) == -1) {
		if (errno == EPERM)
			atf_tc_skip("unshare(CLONE_NEWNET) not permitted");
		atf_tc_fail("unshare(CLONE_NEWNET): %s", strerror(errno));
	}
	if (access("/dev/net/tun", R_OK | W_OK) == -1)
		atf_tc_skip("no /dev/net/tun: %s", strerror(errno));
}

static struct wgd_prefix
prefix(const char *s)
{
	struct wgd_prefix	 p;

	ATF_REQUIRE_MSG(addr_parse_prefix(s, &p) == 0, "bad prefix %s", s);
	return p;
}

/*
 * Whether a line of the command's output holds a (and b, unless NULL).
 * The output goes to stderr, where Kyua keeps it for a failed case.
 */
static int
has_line(const char *cmd, const char *a, const char *b)
{
	FILE	*fp;
	char	 out[16384], *line, *nl;
	size_t	 len;
	int	 found = 0;

	ATF_REQUIRE_MSG((fp = popen(cmd, "r")) != NULL, "popen %s", cmd);
	len = fread(out, 1, sizeof(out) - 1, fp);
	ATF_REQUIRE_MSG(len < sizeof(out) - 1, "%s: too much output", cmd);
	out[len] = '\0';
	ATF_REQUIRE_MSG(pclose(fp) == 0, "%s failed", cmd);
	fprintf(stderr, "$ %s\n%s", cmd, out);

	for (line = out; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		if (strstr(line, a) != NULL && (b == NULL ||
		    strstr(line, b) != NULL))
			found = 1;
	}
	return found;
}

static int
if_flags(const char *name, int *mtu)
{
	struct ifreq	 ifr;
	int		 s;

	ATF_REQUIRE((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) !=
	    -1);
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	ATF_REQUIRE_MSG(ioctl(s, SIOCGIFMTU, &ifr) == 0, "SIOCGIFMTU: %s",
	    strerror(errno));
	*mtu = ifr.ifr_mtu;
	ATF_REQUIRE_MSG(ioctl(s, SIOCGIFFLAGS, &ifr) == 0, "SIOCGIFFLAGS: %s",
	    strerror(errno));
	close(s);
	return ifr.ifr_flags;
}

/* A TUN device, up with MTU 1420, and its index in *ifindex. */
static int
tun_up(struct nl_handle *nh, const char *name, int *ifindex)
{
	unsigned int	 off;
	int		 fd;

	ATF_REQUIRE((fd = tun_open(name, &off)) != -1);
	ATF_REQUIRE((*ifindex = nl_ifindex(name)) > 0);
	ATF_REQUIRE(nl_link_set(nh, *ifindex, 1420, 1) == 0);
	return fd;
}

ATF_TC_WITHOUT_HEAD(tun_open_close);
ATF_TC_BODY(tun_open_close, tc)
{
	struct ifreq	 ifr;
	unsigned int	 off, off2;
	int		 fd, fl;

	enter_netns();
	ATF_REQUIRE((fd = tun_open(IFNAME, &off)) != -1);
	ATF_CHECK(if_nametoindex(IFNAME) > 0);

	memset(&ifr, 0, sizeof(ifr));
	ATF_REQUIRE(ioctl(fd, TUNGETIFF, &ifr) == 0);
	ATF_CHECK_STREQ(ifr.ifr_name, IFNAME);
	ATF_CHECK_EQ(ifr.ifr_flags & (IFF_TUN | IFF_TAP | IFF_NO_PI |
	    IFF_VNET_HDR), IFF_TUN | IFF_NO_PI | IFF_VNET_HDR);
	/* Checksums and TCP segmentation; UDP's both ways or not at all. */
	ATF_CHECK_EQ(off & 0x0f, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
	    TUN_F_TSO_ECN);
	ATF_CHECK((off & 0x60) == 0 || (off & 0x60) == 0x60);

	ATF_REQUIRE((fl = fcntl(fd, F_GETFL)) != -1);
	ATF_CHECK(fl & O_NONBLOCK);
	ATF_CHECK_EQ(fl & O_ACCMODE, O_RDWR);
	ATF_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	/* A second daemon for the same interface must not share it. */
	ATF_CHECK_ERRNO(EBUSY, tun_open(IFNAME, &off2) == -1);

	ATF_REQUIRE(close(fd) == 0);
	ATF_CHECK_EQ(if_nametoindex(IFNAME), 0);

	/* A kernel without USO (6.1) refuses it: the rest still works. */
	ATF_REQUIRE(setenv("WGD_TEST_NO_USO", "1", 1) == 0);
	ATF_REQUIRE((fd = tun_open(IFNAME, &off2)) != -1);
	ATF_CHECK_EQ(off2, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
	    TUN_F_TSO_ECN);
	ATF_REQUIRE(unsetenv("WGD_TEST_NO_USO") == 0);
	close(fd);
}

static uint16_t
ip_cksum(const uint8_t *p, size_t len)
{
	uint32_t	 sum = 0;
	size_t		 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Packets cross the descriptor as bare IP, without the packet
 * information header.  TUNGETIFF is no proof: on the Linux 6.18 this was
 * written on, it reports IFF_NO_PI even when it was not asked for.
 */
ATF_TC_WITHOUT_HEAD(tun_packets);
ATF_TC_BODY(tun_packets, tc)
{
	struct nl_handle	*nh;
	struct wgd_prefix	 a4 = prefix("10.13.13.1/24");
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	uint8_t			 buf[2048], *pkt;
	const uint8_t		 peer[4] = { 10, 13, 13, 2 };
	const uint8_t		 self[4] = { 10, 13, 13, 1 };
	uint16_t		 ck;
	ssize_t			 n;
	int			 fd, ifindex, s, found = 0;

	enter_netns();
	ATF_REQUIRE((nh = nl_open()) != NULL);
	fd = tun_up(nh, IFNAME, &ifindex);
	ATF_REQUIRE(nl_addr_add(nh, ifindex, &a4) == 0);

	/* Out of the host: the engine reads an IPv4 packet at offset 0. */
	ATF_REQUIRE((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) !=
	    -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9);
	memcpy(&sin.sin_addr, peer, sizeof(peer));
	ATF_REQUIRE(sendto(s, "hello", 5, 0, (struct sockaddr *)&sin,
	    sizeof(sin)) == 5);
	close(s);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!found && poll(&pfd, 1, 2000) == 1) {
		/* IPv6 sends its own packets when the link comes up. */
		ATF_REQUIRE((n = read(fd, buf, sizeof(buf))) > VNET_HDR_LEN);
		pkt = buf + VNET_HDR_LEN;
		n -= VNET_HDR_LEN;
		found = n == 33 && pkt[0] == 0x45 && pkt[9] == IPPROTO_UDP &&
		    memcmp(pkt + 16, peer, 4) == 0 &&
		    memcmp(pkt + 28, "hello", 5) == 0;
	}
	ATF_CHECK_MSG(found, "no IPv4 packet after a vnet header read from "
	    "the TUN device");

	/* Into the host: a packet the engine writes reaches a socket. */
	ATF_REQUIRE((s = udp_bind(AF_INET, PORT)) != -1);
	memset(buf, 0, VNET_HDR_LEN + 33);	/* no offload asked */
	pkt = buf + VNET_HDR_LEN;
	pkt[0] = 0x45;
	pkt[3] = 33;
	pkt[6] = 0x40;		/* don't fragment */
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	memcpy(pkt + 12, peer, 4);
	memcpy(pkt + 16, self, 4);
	ck = ip_cksum(pkt, 20);
	pkt[10] = (uint8_t)(ck >> 8);
	pkt[11] = (uint8_t)ck;
	pkt[20] = 0x30;		/* source port 12345 */
	pkt[21] = 0x39;
	pkt[22] = PORT >> 8;
	pkt[23] = PORT & 0xff;
	pkt[25] = 13;		/* UDP length; checksum 0: none */
	memcpy(pkt + 28, "world", 5);
	ATF_REQUIRE_EQ(write(fd, buf, VNET_HDR_LEN + 33), VNET_HDR_LEN + 33);
	pfd.fd = s;
	ATF_REQUIRE_MSG(poll(&pfd, 1, 2000) == 1,
	    "the packet written to the TUN device did not arrive");
	ATF_REQUIRE_EQ(recv(s, buf, sizeof(buf), 0), 5);
	pkt = buf;
	ATF_CHECK(memcmp(pkt, "world", 5) == 0);

	close(s);
	close(fd);
	nl_close(nh);
}

ATF_TC_WITHOUT_HEAD(tun_bad_names);
ATF_TC_BODY(tun_bad_names, tc)
{
	unsigned int	 off;
	int		 fd;

	enter_netns();
	ATF_CHECK_ERRNO(EINVAL, tun_open("wgtest0123456789", &off) == -1);
	ATF_CHECK_EQ(if_nametoindex("wgtest012345678"), 0);
	ATF_CHECK_ERRNO(EINVAL, tun_open("", &off) == -1);

	/* The longest name there is still works. */
	ATF_REQUIRE((fd = tun_open("wgtest012345678", &off)) != -1);
	ATF_CHECK(if_nametoindex("wgtest012345678") > 0);
	close(fd);

	/* The kernel would call it wg0; no device may be left behind. */
	ATF_CHECK_ERRNO(EINVAL, tun_open("wg%d", &off) == -1);
	ATF_CHECK_EQ(if_nametoindex("wg0"), 0);

	/* The name of a device that is not a TUN. */
	ATF_CHECK(tun_open("lo", &off) == -1);
	ATF_CHECK(if_nametoindex("lo") > 0);
}

ATF_TC_WITHOUT_HEAD(link_mtu_up);
ATF_TC_BODY(link_mtu_up, tc)
{
	struct nl_handle	*nh;
	unsigned int		 off;
	int			 fd, ifindex, mtu;

	enter_netns();
	ATF_REQUIRE((nh = nl_open()) != NULL);
	ATF_REQUIRE((fd = tun_open(IFNAME, &off)) != -1);
	ATF_REQUIRE((ifindex = nl_ifindex(IFNAME)) > 0);
	ATF_REQUIRE_EQ(ifindex, (int)if_nametoindex(IFNAME));
	ATF_CHECK_EQ(nl_ifindex(IFNAME2), 0);
	ATF_CHECK((if_flags(IFNAME, &mtu) & IFF_UP) == 0);
	ATF_CHECK_EQ(mtu, 1500);

	ATF_REQUIRE(nl_link_set(nh, ifindex, 1420, 1) == 0);
	ATF_CHECK(if_flags(IFNAME, &mtu) & IFF_UP);
	ATF_CHECK_EQ(mtu, 1420);

	/* MTU 0 leaves the MTU alone. */
	ATF_REQUIRE(nl_link_set(nh, ifindex, 0, 0) == 0);
	ATF_CHECK((if_flags(IFNAME, &mtu) & IFF_UP) == 0);
	ATF_CHECK_EQ(mtu, 1420);

	/* The kernel's refusals come back as errno and change nothing. */
	ATF_CHECK_ERRNO(EINVAL, nl_link_set(nh, ifindex, 20, 1) == -1);
	ATF_CHECK((if_flags(IFNAME, &mtu) & IFF_UP) == 0);
	ATF_CHECK_EQ(mtu, 1420);
	ATF_CHECK_ERRNO(ENODEV, nl_link_set(nh, 99999, 1420, 1) == -1);

	/* The handle still works after errors. */
	ATF_REQUIRE(nl_link_set(nh, ifindex, 1280, 1) == 0);
	ATF_CHECK(if_flags(IFNAME, &mtu) & IFF_UP);
	ATF_CHECK_EQ(mtu, 1280);

	close(fd);
	nl_close(nh);
}

ATF_TC_WITHOUT_HEAD(addr_add_del);
ATF_TC_BODY(addr_add_del, tc)
{
	struct nl_handle	*nh;
	struct wgd_prefix	 a4 = prefix("10.13.13.1/24");
	struct wgd_prefix	 a6 = prefix("fd00:13::1/64");
	struct wgd_prefix	 bad;
	const char		*show = "ip -o addr show dev " IFNAME;
	unsigned int		 off;
	int			 fd, ifindex;

	enter_netns();
	ATF_REQUIRE((nh = nl_open()) != NULL);
	ATF_REQUIRE((fd = tun_open(IFNAME, &off)) != -1);
	ATF_REQUIRE((ifindex = nl_ifindex(IFNAME)) > 0);

	/* In the parent's order: addresses first, then the link up. */
	ATF_REQUIRE(nl_addr_add(nh, ifindex, &a4) == 0);
	ATF_REQUIRE(nl_addr_add(nh, ifindex, &a6) == 0);
	ATF_REQUIRE(nl_link_set(nh, ifindex, 1420, 1) == 0);
	ATF_CHECK(has_line(show, "inet 10.13.13.1/24 ", NULL));
	ATF_CHECK(has_line(show, "inet6 fd00:13::1/64 ", "nodad"));
	ATF_CHECK(!has_line(show, "inet6 fd00:13::1/64 ", "tentative"));
	ATF_CHECK(has_line("ip -4 route show dev " IFNAME,
	    "10.13.13.0/24 proto kernel", NULL));
	ATF_CHECK(has_line("ip -6 route show dev " IFNAME,
	    "fd00:13::/64 proto kernel", NULL));

	/* A reload adds them again. */
	ATF_CHECK(nl_addr_add(nh, ifindex, &a4) == 0);
	ATF_CHECK(nl_addr_add(nh, ifindex, &a6) == 0);
	ATF_CHECK(has_line(show, "inet 10.13.13.1/24 ", NULL));
	ATF_CHECK(has_line(show, "inet6 fd00:13::1/64 ", NULL));

	ATF_REQUIRE(nl_addr_del(nh, ifindex, &a4) == 0);
	ATF_CHECK(!has_line(show, "inet 10.13.13.1/", NULL));
	ATF_CHECK(has_line(show, "inet6 fd00:13::1/64 ", NULL));
	ATF_REQUIRE(nl_addr_del(nh, ifindex, &a6) == 0);
	ATF_CHECK(!has_line(show, "inet6 fd00:13::1/", NULL));

	/* Teardown after a partial setup deletes what is gone. */
	ATF_CHECK(nl_addr_del(nh, ifindex, &a4) == 0);
	ATF_CHECK(nl_addr_del(nh, ifindex, &a6) == 0);

	/* Other refusals are errors. */
	ATF_CHECK_ERRNO(ENODEV, nl_addr_add(nh, 99999, &a4) == -1);
	bad = a4;
	bad.plen = 33;
	ATF_CHECK_ERRNO(EINVAL, nl_addr_add(nh, ifindex, &bad) == -1);
	bad.af = AF_UNIX;
	ATF_CHECK_ERRNO(EINVAL, nl_route_add(nh, ifindex, &bad) == -1);

	close(fd);
	nl_close(nh);
}

ATF_TC_WITHOUT_HEAD(route_add_del);
ATF_TC_BODY(route_add_del, tc)
{
	struct nl_handle	*nh;
	struct wgd_prefix	 r4 = prefix("192.168.50.0/24");
	struct wgd_prefix	 r6 = prefix("fd00:50::/64");
	struct wgd_prefix	 a4 = prefix("10.13.13.1/24");
	struct wgd_prefix	 s4 = prefix("10.13.13.0/24");
	struct wgd_prefix	 h4 = prefix("192.168.50.7/24");
	struct wgd_prefix	 d4 = prefix("0.0.0.0/0");
	struct wgd_prefix	 d6 = prefix("::/0");
	const char		*show4 = "ip -4 route show dev " IFNAME;
	const char		*show6 = "ip -6 route show dev " IFNAME;
	int			 fd, ifindex;

	enter_netns();
	ATF_REQUIRE((nh = nl_open()) != NULL);
	fd = tun_up(nh, IFNAME, &ifindex);

	ATF_REQUIRE(nl_route_add(nh, ifindex, &r4) == 0);
	ATF_REQUIRE(nl_route_add(nh, ifindex, &r6) == 0);
	ATF_CHECK(has_line(show4, "192.168.50.0/24 proto static scope link",
	    NULL));
	ATF_CHECK(has_line(show6, "fd00:50::/64 proto static", NULL));

	/* A reload adds them again; host bits are the prefix's. */
	ATF_CHECK(nl_route_add(nh, ifindex, &r4) == 0);
	ATF_CHECK(nl_route_add(nh, ifindex, &r6) == 0);
	ATF_CHECK(nl_route_add(nh, ifindex, &h4) == 0);

	ATF_REQUIRE(nl_route_del(nh, ifindex, &r4) == 0);
	ATF_CHECK(!has_line(show4, "192.168.50.0/24", NULL));
	ATF_CHECK(has_line(show6, "fd00:50::/64 proto static", NULL));
	ATF_REQUIRE(nl_route_del(nh, ifindex, &r6) == 0);
	ATF_CHECK(!has_line(show6, "fd00:50::/64", NULL));
	ATF_CHECK(nl_route_del(nh, ifindex, &r4) == 0);
	ATF_CHECK(nl_route_del(nh, ifindex, &r6) == 0);

	/* Default routes have no destination in the kernel's answers. */
	ATF_REQUIRE(nl_route_add(nh, ifindex, &d4) == 0);
	ATF_REQUIRE(nl_route_add(nh, ifindex, &d6) == 0);
	ATF_CHECK(nl_route_add(nh, ifindex, &d4) == 0);
	ATF_CHECK(nl_route_add(nh, ifindex, &d6) == 0);
	ATF_CHECK(has_line(show4, "default proto static", NULL));
	ATF_CHECK(has_line(show6, "default proto static", NULL));
	ATF_CHECK(nl_route_del(nh, ifindex, &d4) == 0);
	ATF_CHECK(nl_route_del(nh, ifindex, &d6) == 0);
	ATF_CHECK(!has_line(show4, "default", NULL));
	ATF_CHECK(!has_line(show6, "default", NULL));

	/*
	 * A route for an address's own prefix is there already; deleting
	 * ours must leave the kernel's.
	 */
	ATF_REQUIRE(nl_addr_add(nh, ifindex, &a4) == 0);
	ATF_CHECK(nl_route_add(nh, ifindex, &s4) == 0);
	ATF_CHECK(nl_route_del(nh, ifindex, &s4) == 0);
	ATF_CHECK(has_line(show4, "10.13.13.0/24 proto kernel", NULL));

	/* A route needs the link up. */
	ATF_REQUIRE(nl_link_set(nh, ifindex, 0, 0) == 0);
	ATF_CHECK_ERRNO(ENETDOWN, nl_route_add(nh, ifindex, &r4) == -1);

	/* Teardown after the device went away. */
	close(fd);
	ATF_CHECK_EQ(if_nametoindex(IFNAME), 0);
	ATF_CHECK(nl_route_del(nh, ifindex, &r4) == 0);
	ATF_CHECK(nl_route_del(nh, ifindex, &r6) == 0);
	ATF_CHECK(nl_addr_del(nh, ifindex, &a4) == 0);
	nl_close(nh);
}

ATF_TC_WITHOUT_HEAD(route_conflict);
ATF_TC_BODY(route_conflict, tc)
{
	struct nl_handle	*nh;
	struct wgd_prefix	 r4 = prefix("192.168.60.0/24");
	struct wgd_prefix	 r6 = prefix("fd00:60::/64");
	int			 fd0, fd1, if0, if1;

	enter_netns();
	ATF_REQUIRE((nh = nl_open()) != NULL);
	fd0 = tun_up(nh, IFNAME, &if0);
	fd1 = tun_up(nh, IFNAME2, &if1);

	/* Taking over another device's route could cut the host off. */
	ATF_REQUIRE(nl_route_add(nh, if1, &r4) == 0);
	ATF_REQUIRE(nl_route_add(nh, if1, &r6) == 0);
	ATF_CHECK_ERRNO(EEXIST, nl_route_add(nh, if0, &r4) == -1);
	ATF_CHECK_ERRNO(EEXIST, nl_route_add(nh, if0, &r6) == -1);
	ATF_CHECK(!has_line("ip route show dev " IFNAME, "192.168.60.", NULL));
	ATF_CHECK(!has_line("ip -6 route show dev " IFNAME, "fd00:60:",
	    NULL));

	/* Nor may deleting ours remove it. */
	ATF_CHECK(nl_route_del(nh, if0, &r4) == 0);
	ATF_CHECK(nl_route_del(nh, if0, &r6) == 0);
	ATF_CHECK(has_line("ip route show dev " IFNAME2, "192.168.60.0/24",
	    NULL));
	ATF_CHECK(has_line("ip -6 route show dev " IFNAME2, "fd00:60::/64",
	    NULL));

	close(fd0);
	close(fd1);
	nl_close(nh);
}

static void
check_socket(int s, int af)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 fl, on = 0;

	ATF_REQUIRE(getsockname(s, (struct sockaddr *)&ss, &len) == 0);
	ATF_REQUIRE_EQ(ss.ss_family, af);
	if (af == AF_INET) {
		ATF_CHECK_EQ(ntohs(((struct sockaddr_in *)&ss)->sin_port),
		    PORT);
		ATF_CHECK_EQ(((struct sockaddr_in *)&ss)->sin_addr.s_addr,
		    htonl(INADDR_ANY));
	} else {
		ATF_CHECK_EQ(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port),
		    PORT);
		ATF_CHECK(IN6_IS_ADDR_UNSPECIFIED(
		    &((struct sockaddr_in6 *)&ss)->sin6_addr));
		len = sizeof(on);
		ATF_REQUIRE(getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    &len) == 0);
		ATF_CHECK_EQ(on, 1);
	}
	ATF_REQUIRE((fl = fcntl(s, F_GETFL)) != -1);
	ATF_CHECK(fl & O_NONBLOCK);
	ATF_CHECK(fcntl(s, F_GETFD) & FD_CLOEXEC);
}

ATF_TC_WITHOUT_HEAD(udp_dual_stack);
ATF_TC_BODY(udp_dual_stack, tc)
{
	int	 s4, s6;

	enter_netns();
	ATF_REQUIRE((s4 = udp_bind(AF_INET, PORT)) != -1);
	ATF_REQUIRE((s6 = udp_bind(AF_INET6, PORT)) != -1);
	check_socket(s4, AF_INET);
	check_socket(s6, AF_INET6);

	ATF_CHECK_ERRNO(EADDRINUSE, udp_bind(AF_INET, PORT) == -1);
	ATF_CHECK_ERRNO(EADDRINUSE, udp_bind(AF_INET6, PORT) == -1);
	ATF_CHECK_ERRNO(EAFNOSUPPORT, udp_bind(AF_UNIX, PORT) == -1);

	/* The port is free again once the sockets are closed. */
	close(s4);
	close(s6);
	ATF_REQUIRE((s4 = udp_bind(AF_INET, PORT)) != -1);
	close(s4);
}

/* How much of 4 MiB a socket buffer gets without SO_RCVBUFFORCE. */
static int
rmem_max(void)
{
	FILE	*fp;
	int	 v = 0;

	if ((fp = fopen("/proc/sys/net/core/rmem_max", "r")) != NULL) {
		if (fscanf(fp, "%d", &v) != 1)
			v = 0;
		fclose(fp);
	}
	return v;
}

ATF_TC_WITHOUT_HEAD(udp_buffers);
ATF_TC_BODY(udp_buffers, tc)
{
	socklen_t	 len;
	int		 s, af, size, probe, afs[] = { AF_INET, AF_INET6 };
	size_t		 i;

	enter_netns();
	ATF_REQUIRE((probe = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	size = 4 * 1024 * 1024;
	if (setsockopt(probe, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1 && rmem_max() < 1024 * 1024)
		atf_tc_skip("neither SO_RCVBUFFORCE nor rmem_max allow 1 MiB");
	close(probe);

	for (i = 0; i < sizeof(afs) / sizeof(afs[0]); i++) {
		af = afs[i];
		ATF_REQUIRE((s = udp_bind(af, PORT)) != -1);
		len = sizeof(size);
		ATF_REQUIRE(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &size,
		    &len) == 0);
		ATF_CHECK_MSG(size >= 1024 * 1024, "af %d SO_RCVBUF %d",
		    af, size);
		len = sizeof(size);
		ATF_REQUIRE(getsockopt(s, SOL_SOCKET, SO_SNDBUF, &size,
		    &len) == 0);
		ATF_CHECK_MSG(size >= 1024 * 1024, "af %d SO_SNDBUF %d",
		    af, size);
		close(s);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, tun_open_close);
	ATF_TP_ADD_TC(tp, tun_packets);
	ATF_TP_ADD_TC(tp, tun_bad_names);
	ATF_TP_ADD_TC(tp, link_mtu_up);
	ATF_TP_ADD_TC(tp, addr_add_del);
	ATF_TP_ADD_TC(tp, route_add_del);
	ATF_TP_ADD_TC(tp, route_conflict);
	ATF_TP_ADD_TC(tp, udp_dual_stack);
	ATF_TP_ADD_TC(tp, udp_buffers);
	return atf_no_error();
}
