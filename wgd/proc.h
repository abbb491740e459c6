/*
 * Starting the children and taking their privileges away.
 */

#ifndef WGD_PROC_H
#define WGD_PROC_H

#include <sys/types.h>

#include "wgd.h"

const char	*proc_name(enum wgd_proc);
int		 proc_from_name(const char *, enum wgd_proc *);
pid_t		 proc_start(enum wgd_proc, const char *, int, int, int *);
void		 proc_prepare_chroot(const char *);
void		 proc_drop(enum wgd_proc, const char *, const char *);

#endif /* WGD_PROC_H */
