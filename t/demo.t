# `make demo`: the CA and device made by the certauthz command, the curl
# lines it prints answer 403 and 200 as printed, the 403 page says why,
# and the revoke command it prints takes effect without a restart.
use strict;
use warnings;
use Test::More tests => 6;

my $out = `sh scripts/demo.sh --check 2>&1`;
is($?, 0, 'the demo starts, answers as it prints, and stops') or diag($out);
like($out, qr/prints 403\):\n\s+curl .*--cacert \S+ https:\/\/localhost:\d+\//,
     'it prints a curl line without a certificate that gets 403');
like($out, qr/prints 200\):\n\s+curl .*--cert \S+ --key \S+ https:/,
     'it prints a curl line with the client certificate that gets 200');
like($out, qr/certauthz ca init \S+ .*\n\s+\S*certauthz issue \S+ demo-laptop/,
     'it shows the certauthz commands that made the CA and the device');
like($out, qr/^\s+\S*certauthz revoke \S+ demo-laptop$/m, 'it prints the revoke command to try');
like($out, qr/revoked: 403, the page says the device was revoked/,
     'that command makes the server refuse the device, with the page saying why');
