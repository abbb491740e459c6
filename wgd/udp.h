/*
 * The UDP sockets an interface listens on, bound by the parent and passed
 * to the engine.
 */

#ifndef WGD_UDP_H
#define WGD_UDP_H

#include <stdint.h>

int	udp_bind(int, uint16_t);

#endif /* WGD_UDP_H */
