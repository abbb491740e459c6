#!/usr/bin/python3
"""Parse wgctl show metrics (stdin) with Debian's python3-prometheus-client
and print each sample as "name{labels} value", sorted; fail on a family
the parser could not type (it takes OpenMetrics text silently that way)
or on an unparsable line."""

import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    out = []
    for fam in text_string_to_metric_families(text):
        if fam.type == "unknown":
            sys.exit("family %s has no type" % fam.name)
        for s in fam.samples:
            labels = ",".join('%s="%s"' % kv for kv in sorted(s.labels.items()))
            out.append("%s{%s} %s" % (s.name, labels, repr(s.value)))
    for line in sorted(out):
        print(line)


if __name__ == "__main__":
    main()
