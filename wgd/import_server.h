/* wgd -i: what the container's server conf says (import_server.c). */

#ifndef WGD_IMPORT_SERVER_H
#define WGD_IMPORT_SERVER_H

#include <limits.h>

#include "config.h"

struct import_server_peer {
	int			 line;
	char			 label[64];	/* its "# peer_x" comment */
	int			 has_pub;
	uint8_t			 pub[WG_KEY_LEN];
	struct wgd_prefixes	 allowed_ips;
	unsigned int		 keepalive;
	int			 matched;	/* a peer folder has its key */
};

struct import_server {
	char			 path[PATH_MAX];	/* "": none found */
	struct wgd_prefixes	 addresses;
	unsigned int		 listen_port;		/* 0: not given */
	int			 masquerade;		/* PostUp did */
	struct import_server_peer *peers;
	size_t			 npeers;
	char			**dropped;	/* "file:line: Key = value" */
	size_t			 ndropped;
};

/* What wgd -i says of a symbolic link in the folder it imports. */
#define IMPORT_LINK_REFUSED	"a symbolic link, which wgd -i does not " \
	"follow (it could lead out of the folder): put the file or folder " \
	"itself there"

int	import_openat(int, const char *, const char *, int);
int	import_server_read(int, const char *, struct import_server *);
void	import_server_free(struct import_server *);
char	*import_trim(char *);

#endif /* WGD_IMPORT_SERVER_H */
