/*
 * children.h - the children a unit test starts, and what they leave:
 * reaping, whether a process group is gone, and killing what is left.
 * A test that is a child subreaper (PR_SET_CHILD_SUBREAPER) gets the
 * orphans of its children too. Linked into every unit-test binary.
 */
#ifndef HV_TEST_CHILDREN_H
#define HV_TEST_CHILDREN_H

#include <sys/types.h>

#include <stdint.h>

/* Reaps whatever ended; returns 1 while children are still running. */
int	 reap_all(void);

/* Whether any process of group pgid is left after up to ms of reaping. */
int	 group_alive(pid_t pgid, int64_t ms);

/* Kills every child of ours (orphans came to us) with its group. */
void	 kill_children(void);

#endif
