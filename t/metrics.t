# certauthz-metrics: the Prometheus text format (0.0.4), parsed by the
# reference parser (python3-prometheus-client), with the totals of the
# whole server: requests refused on connections served by different
# children all show, whichever child answers.  No device identity is a
# label.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use JSON::PP ();
use Time::HiRes qw(sleep);

my $py = '/usr/bin/python3';
plan skip_all => 'python3-prometheus-client is not installed'
    unless -x $py && system($py, '-c', 'import prometheus_client') == 0;
plan tests => 12;

# The families and samples the parser reads: {name => {type, samples =>
# [[labels, value]]}}, or the parser's error.
sub parsed {
    my $body = shift;
    my $file = Apache::Test::vars('t_logs') . "/metrics-$$.txt";
    open my $fh, '>', $file or die "$file: $!";
    print $fh $body;
    close $fh;
    my $code = <<'PY';
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
try:
    for f in text_string_to_metric_families(open(sys.argv[1]).read()):
        out[f.name] = {"type": f.type, "samples": [[s.labels, s.value] for s in f.samples]}
    print(json.dumps(out))
except Exception as e:
    print(json.dumps({"error": str(e)}))
PY
    my $json = `$py -c '$code' '$file'`;
    unlink $file;
    return JSON::PP->new->decode($json);
}

sub metrics {
    my $res = get_response('rev_formats', '/metrics');
    return ($res, parsed($res->decoded_content // ''));
}

sub denied_revoked {
    my $m = shift;
    for my $s (@{ $m->{certauthz_decisions}{samples} || [] }) {
        return $s->[1] if $s->[0]{decision} eq 'denied' && $s->[0]{reason} eq 'revoked';
    }
    return undef;
}

my ($res, $m) = metrics();
is($res->code, 200, 'GET /metrics: 200');
like($res->header('Content-Type') // '', qr{^text/plain; version=0\.0\.4},
     'the content type of the text format 0.0.4');
ok(!$m->{error}, 'the reference parser reads it' . ($m->{error} ? ": $m->{error}" : ''));
is($m->{certauthz_info}{samples}[0][0]{version} // '', '0.1.0', 'certauthz_info carries the version');
is($m->{certauthz_decisions}{type} // '', 'counter', 'certauthz_decisions_total is a counter');
my %src = map { ($_->[0]{source} =~ m{([^/]+)$})[0] => $_->[1] }
    @{ $m->{certauthz_revocation_entries}{samples} || [] };
is(join(' ', map { "$_=$src{$_}" } grep { /^rev-(ca2|crl|index|list)\./ } sort keys %src),
   'rev-ca2.der=1 rev-crl.pem=1 rev-index.txt=1 rev-list.txt=2',
   'entries per revocation source, every source of the server');
ok(scalar(@{ $m->{certauthz_revocation_next_update_timestamp_seconds}{samples} || [] }) >= 2
   && scalar(@{ $m->{certauthz_revocation_reload_failures}{samples} || [] })
      == scalar(@{ $m->{certauthz_revocation_entries}{samples} || [] }),
   'nextUpdate of the CRLs, reload failures of every source');

# Refusals on five connections (several children under prefork).
my $before = denied_revoked($m) // 0;
is(get_status('rev_formats', '/p/valid', cert => 'rv_list'), 403, "refused: $_")
    for 1 .. 1;
get_status('rev_formats', '/p/valid', cert => 'rv_list') for 2 .. 5;
my $after;
for (1 .. 25) {
    ($res, $m) = metrics();
    $after = denied_revoked($m) // 0;
    last if $after >= $before + 5;
    sleep 0.2;
}
is($after - $before, 5, 'five refusals counted once each, whichever process served or answers');
my @again = map { denied_revoked((metrics())[1]) // -1 } 1 .. 4;
ok(!grep({ $_ != $after } @again), 'every answer holds the same totals (' . join(',', @again) . ')');

my @labels = map { @{ $_->{samples} } } grep { ref $_ eq 'HASH' } values %$m;
my @values = map { values %{ $_->[0] } } @labels;
ok(!grep({ /client1|rv-list|rv-crl|^[0-9A-F]{4,}$/ } @values),
   'no device identity, serial or fingerprint is a label value');
# make test hands over the one scripts/promtool.sh unpacked.
my $promtool = $ENV{CERTAUTHZ_PROMTOOL} || `sh -c 'command -v promtool'`;
chomp $promtool;
SKIP: {
    skip 'promtool is not installed (Debian package prometheus)', 1 unless $promtool;
    open my $p, '|-', "$promtool check metrics >/dev/null 2>&1" or die;
    print $p $res->decoded_content;
    close $p;
    is($?, 0, 'promtool check metrics passes');
}
