/*
 * inventory.h - the hosts havoc can reach, and how (SSH settings).
 *
 * An inventory file (`inventory: FILE`) is loaded once and may be shared
 * by several experiments (the experiments of a game day: a cache keyed
 * by the file and the variables it was expanded with). Each experiment
 * has an inventory of its own on top of the shared one: its inline
 * `hosts:`, and later the cloud instances its targets resolve to. Hosts
 * are never moved once added (pointers to them stay valid), and a name
 * is unique across both layers.
 *
 * SSH settings of a host are its own, else the experiment's `ssh:`, else
 * the inventory file's `ssh:`.
 */
#ifndef HV_INVENTORY_H
#define HV_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

struct hv_diag;
struct hv_expand;
struct hv_node;

/* Per-host and default SSH settings; NULL or 0 where unset. */
struct hv_ssh_opts {
	char		*user;
	char		*identity;
	char		*passphrase_env;	/* name of the variable */
	char		*known_hosts;
	int		 agent;			/* -1 unset, 0, 1 */
	int		 tofu;			/* -1 unset; 1: trust new */
	int		 port;			/* 0 unset */
	int64_t		 connect_timeout_ms;	/* 0 unset */
	int64_t		 command_timeout_ms;	/* 0 unset */
	int64_t		 keepalive_ms;		/* 0 unset */
	int		 max_parallel;		/* 0 unset */
};

/*
 * Where an experiment's AWS instances live (cloud: {aws: ...}): real
 * values, and their shown spellings (a value from ${env.X} stays that
 * reference), which a fault's revert spec keeps. Never credentials: they
 * come from the chain each time (aws.h).
 */
struct hv_cloud_aws {
	char		*region;	/* NULL: the chain's */
	char		*profile;
	char		*endpoint;
	char		*region_shown;
	char		*profile_shown;
	char		*endpoint_shown;
};

/*
 * What plan time learnt of an Auto Scaling group: its capacity and the
 * image its launch template gives a new instance now.
 */
struct hv_asg_info {
	char		*name;
	long		 desired;
	char		*lt_name;	/* launch template, or NULL */
	char		*lt_version;	/* as the group says: $Latest, 3 */
	long		 lt_number;	/* the version that is, or 0 */
	char		*image_id;	/* its AMI, or NULL */
	char		*image_name;
};

/* A host that is a cloud instance. */
struct hv_instance {
	char		*id;		/* i-0123... */
	const struct hv_cloud_aws *aws;	/* borrowed: where it lives */
	char		*asg;		/* Auto Scaling's word, or NULL */
	char		*image_id;	/* the AMI it runs, or NULL */
	const struct hv_asg_info *group;	/* borrowed, or NULL */
	int		 public_address;	/* host address: public IP */
};

struct hv_host {
	char		*name;
	char		*address;
	char		**tags;
	size_t		 ntags;
	struct hv_ssh_opts ssh;		/* per-host settings */
	const struct hv_node *where;	/* where it was defined, or NULL */
	struct hv_instance *instance;	/* owned; NULL: not a cloud instance */
};

struct hv_inventory {
	char		*path;		/* the file, or NULL */
	struct hv_node	*doc;		/* owned, or NULL */
	struct hv_ssh_opts ssh;		/* the file's ssh: defaults */
	struct hv_inventory *base;	/* shared hosts below these, or NULL */
	struct hv_host	**own;		/* owned */
	size_t		 nown;
	/* Every host, the base's first: what targets choose from. */
	const struct hv_host **hosts;
	size_t		 nhosts;
	int		 refs;
};

/* The keys of an ssh: map, for "did you mean". */
extern const char *const hv_ssh_keys[];

void	 hv_ssh_opts_init(struct hv_ssh_opts *);
void	 hv_ssh_opts_release(struct hv_ssh_opts *);
/* Copies into dst (new strings) every setting that dst lacks and src has. */
void	 hv_ssh_opts_fill(struct hv_ssh_opts *dst,
	    const struct hv_ssh_opts *src);
/* Reads an ssh: map (or a host's settings) into o; problems to diag. */
void	 hv_ssh_opts_load(struct hv_diag *, const struct hv_node *map,
	    struct hv_ssh_opts *o, const char *what);

/* A new, empty inventory on top of base (referenced), or of nothing. */
struct hv_inventory *hv_inventory_new(struct hv_inventory *base);
/* Drops a reference; frees on the last. Accepts NULL. */
void	 hv_inventory_free(struct hv_inventory *);
struct hv_inventory *hv_inventory_ref(struct hv_inventory *);

/*
 * Loads an inventory file: its ${...} expanded with ex, its keys and
 * hosts checked, every problem to diag. A new inventory, or NULL when
 * the file cannot be read or parsed.
 */
struct hv_inventory *hv_inventory_load(const char *path,
		    const struct hv_expand *ex, struct hv_diag *);

/* Adds the hosts of a hosts: map; problems (a name twice) to diag. */
void	 hv_inventory_load_hosts(struct hv_inventory *,
	    const struct hv_node *hosts, struct hv_diag *);

/*
 * Adds a host (a cloud instance): name, address and tags are copied.
 * Returns it (borrowed), or NULL when the name is taken.
 */
struct hv_host	*hv_inventory_add(struct hv_inventory *, const char *name,
		    const char *address, const char *const *tags,
		    size_t ntags);
/*
 * A host of no inventory (new; name, address and tags copied), and its
 * free (with its instance; accepts NULL). hv_inventory_adopt() takes h
 * over: 0, or -1 (h untouched, still the caller's) when its name is
 * taken.
 */
struct hv_host	*hv_host_new(const char *name, const char *address,
		    const char *const *tags, size_t ntags);
void		 hv_host_free(struct hv_host *);
int		 hv_inventory_adopt(struct hv_inventory *, struct hv_host *);
/* A new instance record (strings copied, aws borrowed); and its free. */
struct hv_instance *hv_instance_new(const char *id,
		    const struct hv_cloud_aws *, const char *asg,
		    const char *image_id);
void		 hv_instance_free(struct hv_instance *);
/* Frees an Auto Scaling group's record; accepts NULL. */
void		 hv_asg_info_free(struct hv_asg_info *);
/* Frees the strings of a struct hv_cloud_aws (and zeroes it). */
void		 hv_cloud_aws_release(struct hv_cloud_aws *);

/* The host called name (borrowed), or NULL. */
const struct hv_host *hv_inventory_find(const struct hv_inventory *,
		    const char *name);

/*
 * The effective SSH settings of h: its own, else defaults (the
 * experiment's), else the inventory file's. Strings are borrowed.
 */
void	 hv_inventory_ssh_for(const struct hv_inventory *,
	    const struct hv_ssh_opts *defaults, const struct hv_host *h,
	    struct hv_ssh_opts *out);

/*
 * Inventory files loaded once for several experiments. key tells apart
 * two loads of one file that expand differently (their variables).
 */
struct hv_inventory_cache {
	struct hv_inventory **v;
	char		**keys;
	size_t		 n;
};

/* A new reference to the cached inventory of key, or NULL. */
struct hv_inventory *hv_inventory_cache_get(struct hv_inventory_cache *,
		    const char *key);
/* Keeps a reference to inv under key. */
void	 hv_inventory_cache_put(struct hv_inventory_cache *, const char *key,
	    struct hv_inventory *);
void	 hv_inventory_cache_release(struct hv_inventory_cache *);

#endif
