/*
 * children.c - the children a unit test starts (children.h).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "children.h"
#include "util.h"

int
reap_all(void)
{
	pid_t	pid;

	for (;;) {
		pid = waitpid(-1, NULL, WNOHANG);
		if (pid > 0 || (pid == -1 && errno == EINTR))
			continue;
		return pid == 0;
	}
}

int
group_alive(pid_t pgid, int64_t ms)
{
	int64_t	end = hv_mono_ms() + ms;

	for (;;) {
		reap_all();
		if (kill(-pgid, 0) == -1 && errno == ESRCH)
			return 0;
		if (hv_mono_ms() >= end)
			return 1;
		usleep(10 * 1000);
	}
}

void
kill_children(void)
{
	DIR		*d = opendir("/proc");
	struct dirent	*e;
	char		 path[300], buf[512], *p;
	FILE		*fp;
	long		 pid, ppid;
	size_t		 n;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if ((pid = strtol(e->d_name, &p, 10)) <= 1 || *p != '\0')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof buf - 1, fp);
		fclose(fp);
		buf[n] = '\0';
		/* pid (comm) state ppid: comm may hold anything but ')'. */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %*c %ld", &ppid) != 1 || ppid != getpid())
			continue;
		if (getpgid((pid_t)pid) == (pid_t)pid)
			kill((pid_t)-pid, SIGKILL);
		kill((pid_t)pid, SIGKILL);
	}
	if (d != NULL)
		closedir(d);
}
