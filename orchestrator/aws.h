/*
 * aws.h - AWS's Query APIs on havoc's loop: EC2 (2016-11-15) and Auto
 * Scaling (2011-01-01).
 *
 * Every call is a POST of a form body (Action, Version, the parameters)
 * to the service's endpoint, signed with Signature Version 4 by libcurl;
 * never a GET with a query string (libcurl 7.88 signs those wrongly). A
 * call collects every page (NextToken) when asked, and retries with
 * jittered exponential backoff on throttling (RequestLimitExceeded,
 * Throttling, ...), on HTTP 5xx and on transport errors, within the
 * call's deadline: never after it, and never on another error (an
 * AuthFailure or an AccessDenied is final at once).
 *
 * Credentials are found as the AWS CLI finds them (see hv_aws_new()) and
 * live only in the struct hv_aws: they never appear in a message, a
 * result or a log line, and are wiped when it is freed. hv_aws_source()
 * says where they came from, for logs.
 *
 * Errors end with AWS's code and message, after the call's name:
 * "aws ec2 TerminateInstances: UnauthorizedOperation: You are not
 * authorized to perform this operation." A body that is not AWS's XML is
 * never shown: the message says "HTTP 502" instead.
 *
 * Ownership: struct hv_aws is new from hv_aws_new(), freed by
 * hv_aws_free() (after every call made with it was freed); a struct
 * hv_aws_call is new from hv_aws_call() and freed by hv_aws_call_free();
 * its result is borrowed from it. Strings passed in are copied.
 */
#ifndef HV_AWS_H
#define HV_AWS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct hv_loop;
struct hv_aws;
struct hv_aws_call;
struct hv_xml;
struct hv_xml_node;

#define HV_AWS_DEADLINE		60000	/* ms: one call, pages and retries */
#define HV_AWS_REQ_TIMEOUT	20000	/* ms: one HTTP request */
#define HV_AWS_BACKOFF		200	/* ms: the first retry's bound */
#define HV_AWS_BACKOFF_MAX	5000	/* ms: any retry's bound */
#define HV_AWS_ATTEMPTS		8	/* HTTP requests for one page */
#define HV_AWS_PAGES_MAX	1000	/* pages of one call */
#define HV_AWS_IMDS		"http://169.254.169.254"

enum hv_aws_service {
	HV_AWS_EC2,		/* ec2, 2016-11-15 */
	HV_AWS_ASG		/* autoscaling, 2011-01-01 */
};

struct hv_aws_config {
	/* NULL: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region. */
	const char	*region;
	/*
	 * A profile of the shared files: credentials from it only. NULL:
	 * the standard chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
	 * (AWS_SESSION_TOKEN), then the profile AWS_PROFILE or "default" of
	 * AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
	 * AWS_CONFIG_FILE (~/.aws/config), then IMDSv2 at
	 * AWS_EC2_METADATA_SERVICE_ENDPOINT (HV_AWS_IMDS) unless
	 * AWS_EC2_METADATA_DISABLED is true.
	 */
	const char	*profile;
	/*
	 * An http:// or https:// base URL for every service (moto, a VPC
	 * endpoint, LocalStack), or NULL for https://SERVICE.REGION.
	 * amazonaws.com/.
	 */
	const char	*endpoint;
	/* 0 takes the HV_AWS_* default of each. */
	int64_t		 deadline_ms;
	int64_t		 request_timeout_ms;
	int64_t		 backoff_ms;
	int64_t		 backoff_max_ms;
	int		 max_attempts;
};

/*
 * A client. Reads the environment and the shared files now (a profile
 * that does not exist, a file that cannot be parsed or a missing region
 * fail here, -1 in err); instance metadata, when the chain gets that far,
 * is asked by the first call. NULL with a message in err.
 */
struct hv_aws	*hv_aws_new(struct hv_loop *, const struct hv_aws_config *,
		    struct hv_buf *err);
/* Wipes the credentials. Accepts NULL. */
void		 hv_aws_free(struct hv_aws *);

/* The region in use (borrowed). */
const char	*hv_aws_region(const struct hv_aws *);
/*
 * Where the credentials came from (borrowed): "environment", "profile
 * NAME", "instance metadata", or "none yet" before the first call that
 * asks instance metadata. Never a key.
 */
const char	*hv_aws_source(const struct hv_aws *);

/*
 * Form parameters: each call appends "&Name=Value" to form, both
 * percent-encoded. hv_aws_paramf() takes the name from a format
 * ("InstanceId.%zu") and the value as is.
 */
void		 hv_aws_param(struct hv_buf *form, const char *name,
		    const char *value);
void		 hv_aws_paramf(struct hv_buf *form, const char *value,
		    const char *namefmt, ...) HV_PRINTF(3, 4);

struct hv_aws_res {
	int		 ok;		/* every page came back 2xx, parsed */
	long		 status;	/* HTTP status of the last response */
	char		 code[128];	/* AWS's error code, "" if none */
	struct hv_buf	 error;		/* the whole message when !ok */
	struct hv_xml	**pages;	/* each page's document, in order */
	size_t		 npages;
	int		 requests;	/* HTTP requests made, retries too */
	int		 retries;
	double		 elapsed_ms;
	char		 request_id[128];	/* of the last response */
};

#define HV_AWS_ALL_PAGES	0x1	/* follow NextToken to the end */

typedef void (*hv_aws_cb)(struct hv_aws_call *, void *arg);

/*
 * Starts Action on a service with form (hv_aws_param() lines, or NULL).
 * done(call, arg) runs once from a loop callback when the call is over,
 * whatever the outcome (never from within hv_aws_call()); it may free the
 * call. NULL with a message in err only when the call cannot start (an
 * action name that is not a word).
 */
struct hv_aws_call *hv_aws_call(struct hv_aws *, enum hv_aws_service,
		    const char *action, const char *form, int flags,
		    hv_aws_cb done, void *arg, struct hv_buf *err);

/* The result (borrowed), complete once done has run. */
const struct hv_aws_res *hv_aws_result(const struct hv_aws_call *);

/* Stops a call in flight (done will not run) and frees it. NULL too. */
void		 hv_aws_call_free(struct hv_aws_call *);

/*
 * A typed view of the results that havoc's drivers need. Each parser
 * reads every page of a result, appends to its list, and returns -1 with
 * a message when a page lacks what the API reference promises. Strings
 * are new (owned by the list); NULL when the response had none.
 */
struct hv_aws_tag {
	char	*key;
	char	*value;
};

struct hv_aws_instance {
	char		*id;
	char		*state;		/* running, stopped, terminated... */
	char		*private_ip;
	char		*public_ip;	/* ipAddress, or NULL */
	char		*image_id;
	char		*type;
	char		*az;
	char		*launch_time;
	char		*name;		/* the Name tag */
	/* The group from aws:autoscaling:groupName (DescribeInstances). */
	char		*asg;
	/*
	 * From Auto Scaling (hv_aws_resolve(), hv_aws_parse_asg_instances):
	 * lifecycle InService, Pending, Terminating...; health Healthy or
	 * Unhealthy; the launch template and version it was launched from.
	 * NULL when the instance is in no group or it was not asked.
	 */
	char		*lifecycle;
	char		*health;
	char		*lt_id;
	char		*lt_name;
	char		*lt_version;
	struct hv_aws_tag *tags;
	size_t		 ntags;
};

struct hv_aws_instances {
	struct hv_aws_instance	*v;
	size_t			 n;
};

struct hv_aws_group {
	char		*name;
	long		 min;
	long		 max;
	long		 desired;
	char		*lt_id;		/* LaunchTemplate, or NULL */
	char		*lt_name;
	char		*lt_version;	/* "$Latest", "$Default" or "3" */
	char		*launch_config;	/* LaunchConfigurationName or NULL */
	/* Members: id, lifecycle, health, az and lt_* set; no state. */
	struct hv_aws_instances members;
};

struct hv_aws_groups {
	struct hv_aws_group	*v;
	size_t			 n;
};

/* TerminateInstances, StopInstances, StartInstances. */
struct hv_aws_state_change {
	char	*id;
	char	*previous;
	char	*current;
};

struct hv_aws_state_changes {
	struct hv_aws_state_change	*v;
	size_t				 n;
};

struct hv_aws_image {
	char		*id;
	char		*name;
	char		*state;
	char		*description;
	struct hv_aws_tag *tags;
	size_t		 ntags;
};

struct hv_aws_images {
	struct hv_aws_image	*v;
	size_t			 n;
};

struct hv_aws_lt_version {
	char	*lt_id;
	char	*lt_name;
	long	 version;
	int	 is_default;
	char	*image_id;
};

struct hv_aws_lt_versions {
	struct hv_aws_lt_version	*v;
	size_t				 n;
};

/* DescribeInstances: every instance of every reservation of every page. */
int	hv_aws_parse_instances(const struct hv_aws_res *,
	    struct hv_aws_instances *, struct hv_buf *err);
/* DescribeAutoScalingGroups. */
int	hv_aws_parse_groups(const struct hv_aws_res *, struct hv_aws_groups *,
	    struct hv_buf *err);
/* DescribeAutoScalingInstances: id, asg, lifecycle, health, az, lt_*. */
int	hv_aws_parse_asg_instances(const struct hv_aws_res *,
	    struct hv_aws_instances *, struct hv_buf *err);
/* TerminateInstances, StopInstances, StartInstances. */
int	hv_aws_parse_state_changes(const struct hv_aws_res *,
	    struct hv_aws_state_changes *, struct hv_buf *err);
/* DescribeImages. */
int	hv_aws_parse_images(const struct hv_aws_res *, struct hv_aws_images *,
	    struct hv_buf *err);
/* DescribeLaunchTemplateVersions. */
int	hv_aws_parse_lt_versions(const struct hv_aws_res *,
	    struct hv_aws_lt_versions *, struct hv_buf *err);

/* Release the lists (accept lists that were never filled). */
void	hv_aws_instances_release(struct hv_aws_instances *);
void	hv_aws_groups_release(struct hv_aws_groups *);
void	hv_aws_state_changes_release(struct hv_aws_state_changes *);
void	hv_aws_images_release(struct hv_aws_images *);
void	hv_aws_lt_versions_release(struct hv_aws_lt_versions *);

/* The instance with that id in a list (borrowed), or NULL. */
struct hv_aws_instance *hv_aws_instance_find(const struct hv_aws_instances *,
	    const char *id);
/* A tag's value (borrowed), or NULL. */
const char *hv_aws_tag_get(const struct hv_aws_tag *, size_t n,
	    const char *key);

/*
 * Target selection, as plan time needs it: exactly one of asg, tags or
 * ids. Every instance found is described (DescribeInstances) and, when
 * it is in an Auto Scaling group, given its group, lifecycle, health and
 * launch template (DescribeAutoScalingGroups for asg,
 * DescribeAutoScalingInstances otherwise), so that a driver can tell
 * "outside any group" from what Auto Scaling itself says, not from a tag
 * anyone may set.
 */
struct hv_aws_selector {
	const char		 *asg;
	const struct hv_aws_tag	 *tags;		/* all must match */
	size_t			  ntags;
	const char *const	 *ids;
	size_t			  nids;
	int			  running_only;	/* state running only */
};

struct hv_aws_resolve;
typedef void (*hv_aws_resolve_cb)(struct hv_aws_resolve *, void *arg);

/*
 * Starts resolving sel (copied). done runs once from a loop callback;
 * then hv_aws_resolved() gives the instances sorted by id, or -1 with the
 * error. An Auto Scaling group that does not exist is an error
 * ("no Auto Scaling group web"), and so is an id that does not exist (as
 * EC2 says it: InvalidInstanceID.NotFound). NULL with a message when sel
 * is not usable.
 */
struct hv_aws_resolve *hv_aws_resolve_start(struct hv_aws *,
	    const struct hv_aws_selector *, hv_aws_resolve_cb done, void *arg,
	    struct hv_buf *err);
/* The instances (borrowed) or NULL with the message in err. */
const struct hv_aws_instances *hv_aws_resolved(const struct hv_aws_resolve *,
	    struct hv_buf *err);
/* The group when resolved by asg (borrowed), else NULL. */
const struct hv_aws_group *hv_aws_resolved_group(
	    const struct hv_aws_resolve *);
/* Cancels if needed and frees. Accepts NULL. */
void	hv_aws_resolve_free(struct hv_aws_resolve *);

/*
 * Form helpers for the actions: "InstanceId.1=i-1&InstanceId.2=i-2"
 * (prefix "InstanceId"), and TerminateInstanceInAutoScalingGroup's
 * parameters (decrement 0: the group launches a replacement).
 */
void	hv_aws_param_list(struct hv_buf *form, const char *prefix,
	    const char *const *values, size_t n);
void	hv_aws_param_terminate_in_asg(struct hv_buf *form, const char *id,
	    int decrement);

#endif
