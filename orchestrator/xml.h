/*
 * xml.h - XML documents as a small tree of havoc's own (libxml2 behind it).
 *
 * xml.c is the only file that includes libxml2's headers. A document is
 * parsed once into a tree of elements; each element keeps its local name
 * (the namespace prefix dropped: AWS answers in a default namespace), its
 * text (the concatenated text of its direct children, NULL when it has
 * none) and its child elements in order. Comments, processing
 * instructions and attributes are dropped: AWS's Query APIs put nothing in
 * them.
 *
 * What parsing refuses: no network access, no external entities, no DTD
 * loading, no entity expansion beyond the five predefined ones, documents
 * larger than HV_XML_MAX or nested deeper than HV_XML_DEPTH.
 *
 * Ownership: a struct hv_xml is new from hv_xml_parse() and freed by
 * hv_xml_free(); every node and string inside it is borrowed from it.
 */
#ifndef HV_XML_H
#define HV_XML_H

#include <stddef.h>

#include "util.h"

#define HV_XML_MAX	(64 * 1024 * 1024)	/* bytes of one document */
#define HV_XML_DEPTH	64			/* nested elements */

struct hv_xml_node {
	const char		 *name;		/* local name */
	const char		 *text;		/* direct text, or NULL */
	struct hv_xml_node	**kids;		/* child elements */
	size_t			  n;
	struct hv_xml_node	 *parent;	/* NULL at the root */
};

struct hv_xml;

/*
 * 0 when XML can be parsed: libxml2 is loaded at the first call of this
 * or of hv_xml_parse(). -1 with "xml: cannot load libxml2 ..." in err.
 */
int		 hv_xml_ready(struct hv_buf *err);

/*
 * Parses len bytes of data. NULL with "xml: ..." in err when it is not a
 * well-formed document (the message names the line, never the content).
 */
struct hv_xml	*hv_xml_parse(const char *data, size_t len,
		    struct hv_buf *err);

/* Accepts NULL. */
void		 hv_xml_free(struct hv_xml *);

/* The root element (borrowed); never NULL for a parsed document. */
const struct hv_xml_node *hv_xml_root(const struct hv_xml *);

/*
 * The first child element of n called name, or NULL (n may be NULL).
 * A name with slashes walks down: "Error/Code" is the Code of the first
 * Error. hv_xml_get() gives that element's text, NULL when the element or
 * its text is missing.
 */
const struct hv_xml_node *hv_xml_child(const struct hv_xml_node *,
		    const char *name);
const char	*hv_xml_get(const struct hv_xml_node *, const char *path);

#endif
