# The certificate of a connection changes (TLS 1.2 renegotiation, TLS 1.3
# post-handshake authentication) and every request is judged on the one
# mod_ssl holds, with or without SSLSessionCache (the passes of make test
# differ), also when the change happens in an ErrorDocument of a refused
# request (r->prev keeps the identity it was judged on) or in a subrequest.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;

my $client = Apache::Test::vars('top_dir') . '/build/tools/tls_client';
plan skip_all => "$client is not built (make test builds it)" unless -x $client;
plan tests => 26;

my $err_off = error_log_mark();

my $log = Apache::Test::vars('t_logs') . '/reneg.log';

# run(VHOST, TLS, STEPS...) -> (statuses, log lines of these requests)
sub run {
    my ($vhost, $tls, @steps) = @_;
    my $off = -s $log || 0;
    my @cmd = ($client, '127.0.0.1', port($vhost), pki('ca.crt'), $tls,
               map { /^cert:(.*)/ ? 'cert:' . pki($1) : $_ } @steps);
    open my $fh, '-|', @cmd or die "$client: $!";
    my @out = <$fh>;
    close $fh;
    chomp @out;
    my $want = grep { /^get:/ } @steps;
    my @lines;
    for (1 .. 50) {
        open my $l, '<', $log or die "$log: $!";
        seek $l, $off, 0;
        @lines = <$l>;
        close $l;
        last if @lines >= $want;
        select undef, undef, undef, 0.1;
    }
    chomp @lines;
    return ([map { (split / /)[1] } @out],
            [map { [split /\|/, $_, 9] } @lines]);
}

# Each log line: what mod_ssl holds (SSL_CLIENT_M_SERIAL) is what was judged.
sub judged_as_held {
    my ($lines, $what) = @_;
    my @bad = grep { $_->[2] ne $_->[3] } @$lines;
    ok(!@bad, "$what: every line judged the certificate mod_ssl holds"
       . (@bad ? ' (' . join(', ', map { "$_->[0]: $_->[2] vs $_->[3]" } @bad) . ')' : ''));
}

my ($s, $l);

# TLS 1.2: a good certificate, then a renegotiation answered with a revoked
# one.
($s, $l) = run('certauthz_reneg', '1.2', 'cert:client', 'get:/p/valid',
               'cert:id_revoked', 'get:/p/reneg', 'get:/p/valid');
is("@$s", '200 403 403',
   'TLS 1.2: renegotiated to a revoked certificate: refused then and after');
is(join(',', map { "$_->[3]/$_->[5]" } @$l), '1001/ok,5001/revoked,5001/revoked',
   '...judged as serial 1001, then 5001 (revoked)');
judged_as_held($l, 'TLS 1.2 revoked');

# TLS 1.2: renegotiated to a verified certificate that does not match.
($s, $l) = run('certauthz_reneg', '1.2', 'cert:client', 'get:/p/valid',
               'cert:client2', 'get:/p/reneg-cn', 'get:/p/valid');
is("@$s", '200 403 200',
   'TLS 1.2: renegotiated to another CA\'s certificate: no-match, still valid');
is(join(',', map { $_->[5] } @$l), 'ok,no-match,ok', '...reasons');
judged_as_held($l, 'TLS 1.2 no-match');

# TLS 1.2: no certificate at first, one after the renegotiation.
($s, $l) = run('certauthz_reneg', '1.2', 'get:/p/valid', 'cert:client',
               'get:/p/reneg', 'get:/p/valid');
is("@$s", '403 200 200',
   'TLS 1.2: no certificate, then one by renegotiation: no-cert then granted');
is($l->[0][5], 'no-cert', '...the first refusal was no-cert');
judged_as_held([@$l[1, 2]], 'TLS 1.2 late certificate');

# The ErrorDocument of a refused request renegotiates: the refusal is
# logged with the certificate it was judged on, and the connection goes on
# with the new one.
($s, $l) = run('certauthz_reneg', '1.2', 'cert:client', 'get:/p/valid',
               'cert:client2', 'get:/p/deny', 'get:/p/valid', 'get:/p/deny');
is("@$s", '200 403 200 403',
   'ErrorDocument that renegotiates: 403 with the page, next requests go on');
is(join(',', map { "$_->[0]:$_->[3]/$_->[4]/$_->[5]" } @$l[1, 2]),
   '/p/deny:1001/denied/no-match,/p/valid:1002/granted/ok',
   '...the refusal logged on the certificate it was judged on (1001), '
   . 'the next request on the new one (1002)');
is($l->[1][2], '1002', '...while mod_ssl already held 1002 when the line was written');
like($l->[1][8], qr/"decision": "denied".*"reason": "no-match"/,
     '...%{json}Z of the refused request is whole');

# A subrequest (SSI include) into a location that renegotiates.
($s, $l) = run('certauthz_reneg', '1.2', 'cert:client', 'get:/p/valid',
               'cert:id_revoked', 'get:/ssi/page.shtml', 'get:/p/valid');
is($s->[1], '200', 'subrequest into a renegotiating location: the page is served');
is($s->[2], '403',
   '...and the revoked certificate it brought is refused on the next request');
is($l->[2][5], 'revoked', '...for reason revoked');
judged_as_held([$l->[2]], 'after the subrequest');

# TLS 1.3: a connection without a certificate gets one by post-handshake
# authentication (mod_ssl asks once per connection, and only where the
# handshake asked for none).
($s, $l) = run('certauthz_reneg13', '1.3', 'cert:id_revoked', 'get:/p/valid',
               'get:/p/pha', 'get:/p/valid');
is("@$s", '403 403 403',
   'TLS 1.3: post-handshake authentication with a revoked certificate: refused');
is(join(',', map { "$_->[3]/$_->[5]" } @$l), '-/no-cert,5001/revoked,5001/revoked',
   '...judged as no certificate, then 5001 (revoked)');
judged_as_held([@$l[1, 2]], 'TLS 1.3');

($s, $l) = run('certauthz_reneg13', '1.3', 'cert:client', 'get:/p/valid',
               'get:/p/pha', 'get:/p/valid');
is("@$s", '403 200 200',
   'TLS 1.3: no certificate, then one by post-handshake authentication');
judged_as_held([@$l[1, 2]], 'TLS 1.3 late certificate');

# Many requests alternating certificates on one connection: no crash, and
# the server still answers.
my @steps = ('cert:client', 'get:/p/valid');
for my $i (1 .. 10) {
    push @steps, 'cert:client2', 'get:/p/deny', 'get:/p/valid', 'get:/ssi/page.shtml';
}
($s, $l) = run('certauthz_reneg', '1.2', @steps);
is(scalar(grep { $_ eq '000' } @$s), 0,
   'forty requests through ErrorDocuments and subrequests: every one answered');
judged_as_held([grep { $_->[0] eq '/p/valid' } @$l], 'forty requests');
is(get_status('certauthz_reneg', '/p/valid', cert => 'client'), 200,
   'the server still serves new connections');

my $err = error_log_since($err_off);
unlike($err, qr/exit signal|AddressSanitizer|runtime error/,
       'no child crashed and no sanitizer report in the error log');
