/* wgctl genkey, genpsk and pubkey: local, no daemon involved. */

#ifndef WGCTL_KEYS_H
#define WGCTL_KEYS_H

int	keys_genkey(void);
int	keys_genpsk(void);
int	keys_pubkey(void);

#endif /* WGCTL_KEYS_H */
