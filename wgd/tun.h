/*
 * Linux TUN devices for the parent: it creates them and passes the
 * descriptors to the engine.
 */

#ifndef WGD_TUN_H
#define WGD_TUN_H

/*
 * UDP segmentation offload, both ways: Debian 12's headers predate it
 * (Linux 6.2), and the kernel takes its two bits both or neither.
 */
#define TUN_USO		0x60	/* TUN_F_USO4 | TUN_F_USO6 */

int	tun_open(const char *, unsigned int *);

#endif /* WGD_TUN_H */
