/*
 * Linux TUN devices for the parent: it creates them and passes the
 * descriptors to the engine.
 */

#ifndef WGD_TUN_H
#define WGD_TUN_H

int	tun_open(const char *, unsigned int *);

#endif /* WGD_TUN_H */
