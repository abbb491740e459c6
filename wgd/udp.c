/*
 * UDP sockets for the tunnel: one per address family, never a dual-stack
 * socket, so IPv4 peers are not seen as v4-mapped IPv6 addresses.
 */

#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "udp.h"
#include "udpio.h"

/*
 * Bursts of packets arrive faster than one event loop pass drains them,
 * and the default buffers (about 200 KiB) overflow first under load.
 * A peer's GSO sends arrive as datagrams of up to 64 KiB each, charged
 * with their whole size: at 4 MiB (which the kernel doubles) four TCP
 * streams through two wgd on two busy CPUs lost a few of them a second
 * and retransmitted; at 8 MiB none (bench/bench.sh).
 */
#define UDP_BUFSIZE	(8 * 1024 * 1024)

static const char *
udp_afname(int af)
{
	return af == AF_INET ? "IPv4" : "IPv6";
}

/*
 * The FORCE variant ignores net.core.rmem_max and wmem_max but needs
 * CAP_NET_ADMIN in the initial namespace; without it the plain option
 * still gets as much as the sysctl allows.
 */
static int
udp_setbuf(int s, int af, uint16_t port, int force, int opt, const char *name)
{
	int	 size = UDP_BUFSIZE;

	if (setsockopt(s, SOL_SOCKET, force, &size, sizeof(size)) == 0)
		return 0;
	if (errno != EPERM) {
		log_warn("udp port %u (%s): %sFORCE", port, udp_afname(af),
		    name);
		return -1;
	}
	if (setsockopt(s, SOL_SOCKET, opt, &size, sizeof(size)) == -1) {
		log_warn("udp port %u (%s): %s", port, udp_afname(af), name);
		return -1;
	}
	log_debug("udp port %u (%s): %s limited by sysctl net.core",
	    port, udp_afname(af), name);
	return 0;
}

/*
 * Returns a non-blocking, close-on-exec UDP socket bound to port on the
 * wildcard address of af (AF_INET or AF_INET6), or -1 after logging why.
 * An IPv6 socket takes IPv6 only, so both families can use one port.
 * Port 0 lets the kernel choose one (getsockname(2) tells which).
 */
int
udp_bind(int af, uint16_t port)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct sockaddr		*sa;
	socklen_t		 salen;
	int			 s, on = 1, saved_errno;

	switch (af) {
	case AF_INET:
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		sin.sin_port = htons(port);
		sa = (struct sockaddr *)&sin;
		salen = sizeof(sin);
		break;
	case AF_INET6:
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_any;
		sin6.sin6_port = htons(port);
		sa = (struct sockaddr *)&sin6;
		salen = sizeof(sin6);
		break;
	default:
		log_warnx("udp port %u: address family %d not supported",
		    port, af);
		errno = EAFNOSUPPORT;
		return -1;
	}

	if ((s = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_UDP)) == -1) {
		log_warn("udp port %u (%s): socket", port, udp_afname(af));
		return -1;
	}
	if (af == AF_INET6 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on,
	    sizeof(on)) == -1) {
		log_warn("udp port %u (%s): IPV6_V6ONLY", port,
		    udp_afname(af));
		goto fail;
	}
	if (udp_setbuf(s, af, port, SO_RCVBUFFORCE, SO_RCVBUF,
	    "SO_RCVBUF") == -1 ||
	    udp_setbuf(s, af, port, SO_SNDBUFFORCE, SO_SNDBUF,
	    "SO_SNDBUF") == -1)
		goto fail;
	if (udpio_sockopts(s, af) == -1)
		goto fail;
	if (bind(s, sa, salen) == -1) {
		if (errno == EADDRINUSE)
			log_warnx("udp port %u (%s): port already in use",
			    port, udp_afname(af));
		else
			log_warn("udp port %u (%s): bind", port,
			    udp_afname(af));
		goto fail;
	}
	return s;

fail:
	saved_errno = errno;
	close(s);
	errno = saved_errno;
	return -1;
}
