# `make demo`: the curl lines it prints answer 403 and 200 as printed.
use strict;
use warnings;
use Test::More tests => 3;

my $out = `sh scripts/demo.sh --check 2>&1`;
is($?, 0, 'the demo starts, answers as it prints, and stops') or diag($out);
like($out, qr/prints 403\):\n\s+curl .*--cacert \S+ https:\/\/localhost:\d+\//,
     'it prints a curl line without a certificate that gets 403');
like($out, qr/prints 200\):\n\s+curl .*--cert \S+ --key \S+ https:/,
     'it prints a curl line with the client certificate that gets 200');
