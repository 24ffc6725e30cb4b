# The certauthz command and the module agree (INTERFACE section 7): for
# every certificate of the test PKI the server can verify, `certauthz
# inspect --json` equals the certificate fields of the server's %{json}Z
# line; `certauthz check` grants exactly when the server does for every
# single-line Require of t/rules.t's virtual host, and for the revocation
# sources of t/revocation.t's.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use CertAuthzCLI;
use JSON::PP ();

my $JSON = JSON::PP->new->utf8;
my $JSON_LOG = Apache::Test::vars('t_logs') . '/certauthz_json.log';
my $PKI = pki();
my @CERT_KEYS = qw(device subject issuer serial fingerprint not_before
                   not_after days_left san);

# The JSON line the server logged for one request with CERT.
sub server_json {
    my ($cert) = @_;
    my $off = -s $JSON_LOG || 0;
    my $prev = -1;
    for (1 .. 30) {     # earlier lines still on their way: wait for quiet
        last if $off == $prev;
        $prev = $off;
        select undef, undef, undef, 0.05;
        $off = -s $JSON_LOG || 0;
    }
    my $code = get_status('certauthz_log', '/p/valid?agree', cert => $cert);
    for (1 .. 100) {
        if (open my $fh, '<:raw', $JSON_LOG) {
            seek $fh, $off, 0;
            local $/;
            my $t = <$fh> // '';
            for my $l (split /\n/, $t) {
                my $o = eval { $JSON->decode($l) } or next;
                return ($code, $o) if ($o->{rule} // '') eq 'cert-valid';
            }
        }
        select undef, undef, undef, 0.05;
    }
    return ($code, undef);
}

# Every leaf the server trusts (issued by ca or ca2), with its key.
my @certs;
for my $crt (sort glob("$PKI/*.crt")) {
    (my $name = $crt) =~ s{.*/|\.crt$}{}g;
    next unless -f "$PKI/$name.key";
    next if $name =~ /^(ca|ca2|rogue)$/;
    my $v = `openssl verify -CAfile '$PKI/trusted.pem' '$crt' 2>&1`;
    push @certs, $name if $? == 0;
}

# Single-line Require rules of the rules virtual host, Defines resolved.
my %define;
for (split /\n/, slurp("$PKI/rules-defines.conf") // '') {
    $define{$1} = $2 if /^Define\s+(\S+)\s+(\S+)/;
}
my $conf = slurp(t_path('conf', 'features', 'rules.conf.in'));
my ($rules_vhost) = $conf =~ /<VirtualHost certauthz_rules>(.*?)<\/VirtualHost>/s;
my @rules;
while ($rules_vhost =~ m{<Location (/p/[\w-]+)>\s*\n\s*Require (cert-[^\n]+?)\s*\n\s*</Location>}g) {
    my ($path, $line) = ($1, $2);
    $line =~ s/\$\{(\w+)\}/$define{$1}/g;
    push @rules, [$path, $line];
}
my @rule_certs = qw(client client2 rules-multi rules-evil rules-tprint
                    rules-tutf8 rules-tbmp rules-long rules-san);

# Revocation: the files of rev_formats and rev_stale_deny.
my @rev_files = map { "$PKI/$_" } qw(rev-crl.pem rev-ca2.der rev-index.txt rev-list.txt);
my @rev_certs = qw(client client2 rv_crl rv_ca2same rv_der rv_idx rv_list rv_fp);

plan tests => 2 + @certs * 2 + @rules * @rule_certs + @rev_certs * 2 + 2;

ok(@certs >= 20, 'the test PKI has its certificates (' . scalar(@certs) . ')');
ok(@rules >= 25, 'the rules of t/rules.t are found (' . scalar(@rules) . ')');

for my $c (@certs) {
    my ($code, $srv) = server_json($c);
    my ($rc, $out, $err) = certauthz('inspect', "$PKI/$c.crt", '--json');
    my $cli = eval { $JSON->decode($out) };
    ok($code == 200 && $srv && $cli, "$c: the server logged it and the tool read it")
        or diag("status $code, tool: $rc $err");
    $srv ||= {};
    $cli ||= {};
    # days_left moves at midnight UTC between the two readings at most.
    my $dl = defined $srv->{days_left} && defined $cli->{days_left}
        && abs($srv->{days_left} - $cli->{days_left}) <= 1;
    $cli->{days_left} = $srv->{days_left} if $dl;
    is_deeply({map { $_ => $cli->{$_} } @CERT_KEYS},
              {map { $_ => $srv->{$_} } @CERT_KEYS},
              "$c: inspect --json equals the server's %{json}Z certificate fields");
}

for my $r (@rules) {
    my ($path, $line) = @$r;
    for my $c (@rule_certs) {
        my $srv = get_status('certauthz_rules', $path, cert => $c);
        my ($rc, $out, $err) = certauthz('check', "$PKI/$c.crt", $line);
        my $tool = $rc == 0 ? 200 : $rc == 1 ? 403 : "exit $rc: $err";
        is($tool, $srv, "check $c '$line' agrees with the server ($srv)");
    }
}

my @rev_args = map { ('--revocation', $_) } @rev_files;
for my $c (@rev_certs) {
    my $srv = get_status('rev_formats', '/p/valid', cert => $c);
    my ($rc, $out, $err) = certauthz('check', "$PKI/$c.crt", 'cert-valid', @rev_args);
    is($rc == 0 ? 200 : $rc == 1 ? 403 : "exit $rc: $err", $srv,
       "check $c cert-valid --revocation (4 formats) agrees with the server ($srv)");
    if ($srv == 403) {
        like($out, qr/reason: revoked/, "$c: reason revoked, as the server logs");
    }
    else {
        like($out, qr/reason: ok/, "$c: reason ok");
    }
}
for my $c (qw(client rv_crl)) {
    my $srv = get_status('rev_stale_deny', '/p/valid', cert => $c);
    my ($rc) = certauthz('check', "$PKI/$c.crt", 'cert-valid', '--revocation',
                         "$PKI/rev-stale.pem", '--stale-crl', 'deny');
    is($rc == 0 ? 200 : 403, $srv, "stale CRL, deny: check $c agrees with the server ($srv)");
}
