# Start-up warnings (INTERFACE §10): where a rule cannot work as written,
# `apachectl configtest` and the error log of a start name the file and
# line, say what is wrong and what to write instead; a correct
# configuration gets none.  Each case is a small configuration of its own,
# checked with `httpd -t` and then started for real (daemonized, as
# apachectl starts it), since a start reads the configuration twice and
# must warn once.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use IO::Socket::INET ();
use Time::HiRes qw(sleep);

my $httpd = Apache::Test::vars('httpd');
my $top   = Apache::Test::vars('top_dir');
my $logs  = Apache::Test::vars('t_logs');
# The second pass of make test runs the module built with ASan.
my $module = "$top/.libs/mod_certauthz.so";
if ((Apache::Test::vars('defines') // '') =~ /\bCERTAUTHZ_ASAN\b/
    && -f "$top/build/asan/mod_certauthz.so") {
    $module = "$top/build/asan/mod_certauthz.so";
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}
my ($plain, $tls) = (free_port(), free_port());
$tls = free_port() while $tls == $plain;

# write_conf(NAME, LINES) -> (file, {mark => line number}): a line written
# '@mark text' is written as 'text' and its number recorded.
my %line;
sub write_conf {
    my ($name, @lines) = @_;
    my $file = "$logs/warnings-$name.conf";
    my $n = 0;
    open my $fh, '>', $file or die "$file: $!";
    for my $l (@lines) {
        $n++;
        $line{$2} = $n if $l =~ s/^(\s*)\@(\w+) /$1/;
        print $fh "$l\n";
    }
    close $fh;
    return $file;
}

sub preamble {
    my $name = shift;
    return (
        qq{ServerRoot "$top/t"},
        qq{Include "$top/t/modules.conf"},
        qq{LoadModule certauthz_module "$module"},
        qq{ServerName localhost},
        qq{Listen 127.0.0.1:$plain},
        qq{Listen 127.0.0.1:$tls},
        qq{PidFile "$logs/warnings-$name.pid"},
        qq{ErrorLog "$logs/warnings-$name.error_log"},
        qq{TypesConfig /dev/null},
        qq{StartServers 1},
        ($> == 0 ? (qq{User } . Apache::Test::vars('user'),
                    qq{Group } . Apache::Test::vars('group')) : ()),
        qq{SSLSessionCache none},
    );
}

my @tls = (
    qq{    SSLEngine on},
    qq{    SSLCertificateFile "} . pki('server.crt') . '"',
    qq{    SSLCertificateKeyFile "} . pki('server.key') . '"',
    qq{    SSLCACertificateFile "} . pki('trusted.pem') . '"',
);

# Every mistake, one of them in an Include'd file and one through an
# AuthzProviderAlias, one in a RequireAll nested in a RequireAny.
my $inc = write_conf('inc',
    q{<Location /inc>},
    q{    @inc Require cert-subject "O=My Org"},
    q{</Location>},
);
my $bad = write_conf('bad', preamble('bad'),
    q{<AuthzProviderAlias cert-subject lab "OU=Lab">},
    q{</AuthzProviderAlias>},
    qq{\@plain_vhost <VirtualHost 127.0.0.1:$plain>},
    q{    ServerName plain.test},
    qq{    Include "$inc"},
    q{    <Location /lab>},
    q{        @alias Require lab},
    q{    </Location>},
    q{</VirtualHost>},
    qq{\@require_vhost <VirtualHost 127.0.0.1:$tls>},
    q{    ServerName require.test},
    @tls,
    q{    @require SSLVerifyClient require},
    q{    <Location /x>},
    q{        <RequireAny>},
    q{            Require ip 192.0.2.1},
    q{            @all <RequireAll>},
    q{                Require all granted},
    q{                @not Require not cert-serial 1001},
    q{            </RequireAll>},
    q{        </RequireAny>},
    q{    </Location>},
    q{</VirtualHost>},
    qq{\@none_vhost <VirtualHost 127.0.0.1:$tls>},
    q{    ServerName none.test},
    @tls,
    q{    SSLVerifyClient none},
    q{    <Location /admin>},
    q{        @dir SSLVerifyClient optional},
    q{        Require cert-valid},
    q{    </Location>},
    q{</VirtualHost>},
);

# The set-up the documentation recommends: no warning.
my $good = write_conf('good', preamble('good'),
    qq{<VirtualHost 127.0.0.1:$plain>},
    q{    <Location />},
    q{        Require all granted},
    q{    </Location>},
    q{</VirtualHost>},
    qq{<VirtualHost 127.0.0.1:$tls>},
    @tls,
    q{    SSLVerifyClient optional},
    q{    <Location /a>},
    q{        Require cert-valid},
    q{    </Location>},
    q{    <Location /b>},
    q{        Require cert-subject "O=My Org" OU~^Dev},
    q{    </Location>},
    q{    <Location /c>},
    q{        <RequireAll>},
    q{            Require cert-valid},
    q{            Require not cert-serial 1001},
    q{        </RequireAll>},
    q{    </Location>},
    q{    <Location /d>},
    q{        <RequireAll>},
    q{            Require ip 127.0.0.1},
    q{            <RequireAny>},
    q{                Require cert-subject OU=A},
    q{                Require cert-issuer O=B},
    q{            </RequireAny>},
    q{            Require not cert-serial 1002},
    q{        </RequireAll>},
    q{    </Location>},
    q{</VirtualHost>},
);

# [tag, the line it names, text that must follow, what to write instead]
my $at = sub { my ($m, $f) = @_; "line $line{$m} of $f" };
my @expected = (
    ['CERTAUTHZ0200', $at->('inc', $inc),
     qr/Require cert-subject "O=My Org" \(\Q${\ $at->('inc', $inc)}\E\) cannot work: SSL is off in <VirtualHost 127\.0\.0\.1:$plain> \(\Q${\ $at->('plain_vhost', $bad)}\E\)/,
     q{write "SSLEngine on" and "SSLVerifyClient optional"},
     'a cert-* rule in an Included file, on a vhost without SSL'],
    ['CERTAUTHZ0200', $at->('alias', $bad),
     qr/Require lab \(\Q${\ $at->('alias', $bad)}\E\) cannot work/,
     q{write "SSLEngine on"},
     'a rule through an AuthzProviderAlias of cert-subject'],
    ['CERTAUTHZ0202', $at->('require', $bad),
     qr/SSLVerifyClient require \(\Q${\ $at->('require', $bad)}\E\) makes the TLS handshake fail/,
     q{write "SSLVerifyClient optional" and let the Require cert-* rules refuse},
     'SSLVerifyClient require with cert-* rules'],
    ['CERTAUTHZ0203', $at->('not', $bad),
     qr/Require not cert-serial 1001 \(\Q${\ $at->('not', $bad)}\E\) admits clients with no certificate.*<RequireAll> \(\Q${\ $at->('all', $bad)}\E\)/,
     q{add "Require cert-valid" to that <RequireAll>},
     'Require not cert-* beside Require all granted, nested in RequireAny'],
    ['CERTAUTHZ0201', $at->('dir', $bad),
     qr/SSLVerifyClient optional \(\Q${\ $at->('dir', $bad)}\E\) in <Location \/admin> asks for more than the TLS handshake of <VirtualHost 127\.0\.0\.1:$tls> \(\Q${\ $at->('none_vhost', $bad)}\E\).*Chrome never offers and HTTP\/2 forbids/,
     q{write "SSLVerifyClient optional" in the virtual host and a Require cert-* rule},
     'a per-directory SSLVerifyClient'],
);

plan tests => 3 + 3 * @expected + 2 + 3 + 2 * @expected + 2;

sub configtest {
    my $file = shift;
    my $out = `'$httpd' -t -f '$file' 2>&1`;
    return ($? >> 8, $out);
}

sub count { my ($text, $re) = @_; scalar(() = $text =~ /$re/g) }

# --- apachectl configtest ------------------------------------------------
my ($rc, $out) = configtest($bad);
is($rc, 0, 'configtest passes a configuration with mistakes: warnings, '
   . 'not errors') or diag($out);
like($out, qr/Syntax OK/, '...and says Syntax OK');
is(count($out, qr/CERTAUTHZ\d+:/), scalar @expected,
   "...after exactly the expected warnings") or diag($out);
for my $e (@expected) {
    my ($tag, $where, $re, $advice, $what) = @$e;
    my @lines = grep { index($_, "$tag: ") >= 0 && index($_, $where) >= 0 }
                split /\n/, $out;
    is(scalar @lines, 1, "configtest warns once: $what ($where)")
        or diag($out);
    like($lines[0] // '', $re, '...naming file, line and what is wrong');
    ok(index($lines[0] // '', $advice) >= 0,
       "...and what to write instead: $advice") or diag($lines[0]);
}
# In the order of the configuration.
my @order = map { $_->[1] } @expected;
my @seen = map { /(line \d+ of \S+?)\)/ ? $1 : () }
           grep { /CERTAUTHZ\d+:/ } split /\n/, $out;
is_deeply(\@seen, \@order, 'warnings come in the order of the lines');

($rc, $out) = configtest($good);
is($rc, 0, 'configtest passes the recommended configuration') or diag($out);
unlike($out, qr/CERTAUTHZ\d+/, '...with no warning') or diag($out);

# --- a normal start, and a graceful restart ------------------------------
sub slurp {
    open my $fh, '<', $_[0] or return '';
    local $/;
    my $text = <$fh>;    # scalar: an empty file is '', not ()
    return $text // '';
}

sub wait_for {
    my ($file, $re, $n) = @_;
    for (1 .. 150) {
        return 1 if count(slurp($file), $re) >= $n;
        sleep 0.1;
    }
    return 0;
}

my $log = "$logs/warnings-bad.error_log";
my $pidfile = "$logs/warnings-bad.pid";
unlink $log, $pidfile;
my $started = `'$httpd' -f '$bad' -k start 2>&1`;
my $up = wait_for($log, qr/resuming normal operations/, 1)
    && wait_for($pidfile, qr/^\d+/, 1);
ok($up, 'the configuration with mistakes starts') or diag($started . slurp($log));
my $pid = (slurp($pidfile) =~ /(\d+)/)[0];
unlike($started, qr/CERTAUTHZ\d+/,
       '...printing nothing on the terminal of a daemonized start (the '
       . 'warnings are in the error log)');

my $text = slurp($log);
for my $e (@expected) {
    my ($tag, $where, undef, undef, $what) = @$e;
    is(count($text, qr/\[certauthz:warn\].*\Q$tag: \E.*\Q$where\E/), 1,
       "a start logs it once, in the error log: $what") or diag($text);
}

# A graceful restart reads the configuration once more: once more each.
if ($pid) {
    kill 'USR1', $pid;
    wait_for($log, qr/resuming normal operations/, 2);
}
$text = slurp($log);
for my $e (@expected) {
    my ($tag, $where, undef, undef, $what) = @$e;
    is(count($text, qr/\Q$tag: \E.*\Q$where\E/), 2,
       "...and a graceful restart once more: $what") or diag($text);
}

if ($pid) {
    kill 'TERM', $pid;
    for (1 .. 100) { last unless kill 0, $pid; sleep 0.1 }
}
ok(!$pid || !kill(0, $pid), 'the server stops');

# The recommended configuration starts without a warning either.
$log = "$logs/warnings-good.error_log";
$pidfile = "$logs/warnings-good.pid";
unlink $log, $pidfile;
$started = `'$httpd' -f '$good' -k start 2>&1`;
$up = wait_for($log, qr/resuming normal operations/, 1)
    && wait_for($pidfile, qr/^\d+/, 1);
$pid = (slurp($pidfile) =~ /(\d+)/)[0];
ok($up && slurp($log) !~ /CERTAUTHZ\d+/,
   'the recommended configuration starts with no warning')
    or diag($started . slurp($log));
if ($pid) {
    kill 'TERM', $pid;
    for (1 .. 100) { last unless kill 0, $pid; sleep 0.1 }
}
