/*
 * aws-call.h - the AWS transport: what havoc's AWS drivers share.
 *
 * Clients. One struct hv_aws per cloud setting (region, profile,
 * endpoint) per loop, made on first use and kept until the loop is freed:
 * credentials are found once per run (or per `havoc recover`), from the
 * chain, never from a journal.
 *
 * Gatherings. The runner starts a step's calls on all of its targets in
 * one turn of the loop. An AWS driver does not send one request per
 * instance: each call joins its step's gathering (one per step tag,
 * driver, revert or not, and cloud setting), and on the next turn of the
 * loop the driver's function runs once with all of them: one
 * TerminateInstances of 20 instances, a rotation in batches. The driver
 * ends every call with hv_aws_gather_done() and its own work with
 * hv_aws_gather_end(). A call that is cancelled meanwhile (a watchdog, a
 * stop) leaves at once, ended as cancelled; when no call is left, the
 * gathering stops its requests and timers (and calls the driver's stop
 * hook) and frees itself.
 *
 * Requests and timers of a gathering go through hv_aws_gather_send() and
 * hv_aws_gather_after(), so that a gathering can always be stopped. A
 * callback may end the gathering (hv_aws_gather_end); nothing touches it
 * after that.
 */
#ifndef HV_AWS_CALL_H
#define HV_AWS_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "driver.h"

struct hv_cloud_aws;
struct hv_loop;
struct hv_timer;

struct hv_aws_gather;
typedef void (*hv_aws_gather_fn)(struct hv_aws_gather *);
typedef void (*hv_aws_res_fn)(struct hv_aws_gather *,
		    const struct hv_aws_res *, void *arg);

struct hv_aws_gather {
	struct hv_loop		*loop;
	struct hv_aws		*aws;		/* the calls' client */
	const struct hv_driver	*driver;
	int			 reverting;
	/*
	 * The calls, in their step's order (hv_call.index); an entry is
	 * NULL once its call has ended. open counts those left.
	 */
	struct hv_call		**calls;
	size_t			 n;
	size_t			 open;
	/* The driver's: its state, and how to stop it (may be NULL). */
	void			*priv;
	void			(*stop)(struct hv_aws_gather *);

	/* Inside. */
	char			*key;
	hv_aws_gather_fn	 fn;
	struct hv_timer		*start_timer;
	struct hv_timer		*timer;
	hv_aws_gather_fn	 timer_fn;
	struct aws_inflight	**inflight;
	size_t			 ninflight;
	int			 hold;		/* inside a callback of ours */
	int			 dead;		/* free when hold drops to 0 */
	int			 ended;
	struct hv_aws_gather	*next;		/* every gathering of a loop */
};

/*
 * The client for a cloud setting (borrowed; the loop owns it), made on
 * first use. NULL with a message in err (a profile that does not exist,
 * no region).
 */
struct hv_aws	*hv_aws_client(struct hv_loop *, const struct hv_cloud_aws *,
		    struct hv_buf *err);

/*
 * The calls of a step join one gathering; fn runs on the next turn of
 * the loop. The cloud setting is the call's target's (an instance), else
 * the experiment's. -1 with a message in call->err when the call cannot
 * join (no cloud setting, no client): it has not ended.
 */
int	 hv_aws_gather(struct hv_call *, hv_aws_gather_fn fn);

/* Ends call i (when it has not ended) with ok; its err/out set first. */
void	 hv_aws_gather_done(struct hv_aws_gather *, size_t i, int ok);
/* Fails call i with a message (appended to its err). */
void	 hv_aws_gather_fail(struct hv_aws_gather *, size_t i,
	    const char *, ...) HV_PRINTF(3, 4);
/* Fails every call still open with the same message. */
void	 hv_aws_gather_fail_all(struct hv_aws_gather *, const char *, ...)
	    HV_PRINTF(2, 3);
/*
 * The driver's work is over: calls still open fail ("no result"), its
 * requests and timer stop, the gathering is freed (priv through stop).
 */
void	 hv_aws_gather_end(struct hv_aws_gather *);

/*
 * Sends a request for the gathering; cb(g, res, arg) runs once from the
 * loop with the result (borrowed for the callback). -1 with a message in
 * err when it cannot start.
 */
int	 hv_aws_gather_send(struct hv_aws_gather *, enum hv_aws_service,
	    const char *action, const char *form, int flags, hv_aws_res_fn cb,
	    void *arg, struct hv_buf *err);
/* One timer of the gathering: fn(g) after ms (replaces a pending one). */
void	 hv_aws_gather_after(struct hv_aws_gather *, int64_t ms,
	    hv_aws_gather_fn fn);

/*
 * Describes the instances of the open calls: EC2's view (DescribeInstances,
 * 200 a request) or Auto Scaling's (DescribeAutoScalingInstances, 50 a
 * request: asg, lifecycle, health, launch template; an instance in no
 * group is absent). fn(g, list, NULL) runs once with every page parsed
 * (the list is borrowed for the callback), or fn(g, NULL, message).
 */
enum hv_aws_view { HV_AWS_VIEW_EC2, HV_AWS_VIEW_ASG };
typedef void (*hv_aws_list_fn)(struct hv_aws_gather *,
		    const struct hv_aws_instances *, const char *error);
void	 hv_aws_gather_describe(struct hv_aws_gather *, enum hv_aws_view,
	    hv_aws_list_fn fn);

/* The open call whose instance is id, or g->n. */
size_t	 hv_aws_gather_find(const struct hv_aws_gather *, const char *id);

/*
 * Around a driver's own callback that does not come through the
 * gathering (a probe it runs): the gathering is not freed in between;
 * leave returns 1 when it was freed on leaving (touch nothing then).
 */
void	 hv_aws_gather_enter(struct hv_aws_gather *);
int	 hv_aws_gather_leave(struct hv_aws_gather *);

/*
 * Frees arg with fn on the next turn of the loop (or when the loop is
 * freed first): for what a callback's caller may still touch.
 */
void	 hv_aws_free_later(struct hv_loop *, void (*fn)(void *), void *arg);

/* The cancel hook of AWS drivers: the call leaves its gathering. */
void	 hv_aws_gather_cancel(struct hv_call *);

/* The instance behind call i (borrowed), or NULL for an untargeted call. */
const struct hv_instance *hv_aws_gather_instance(const struct hv_aws_gather *,
	    size_t i);

/*
 * A target's instance for a driver's check: -1 with a message when the
 * call's host is not a cloud instance.
 */
int	 hv_aws_check_instance(const struct hv_call *, struct hv_buf *err);

/* Appends an image to out for a person: "ami-0123 (web-v2)". */
void	 hv_aws_image_label(struct hv_buf *out, const char *id,
	    const char *name);

/* Waiting for instances to change state: how often to look. */
#define HV_AWS_POLL_MS	1000

#endif
