# `apachectl configtest` refuses every kind of malformed cert-* argument and
# says where (file and line) and what (the offending token).  Each case is a
# small configuration run through `httpd -t`, the same parse httpd does at
# start-up and before a graceful restart.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;

my $httpd = Apache::Test::vars('httpd');
my $top   = Apache::Test::vars('top_dir');
my $logs  = Apache::Test::vars('t_logs');

# [Require line, text the message must contain, what is wrong]
my @bad = (
    ['cert-subject XYZ=a', q{unknown attribute 'XYZ' in 'XYZ=a'},
     'unknown attribute name'],
    ['cert-issuer Nonsense~x', q{'Nonsense'}, 'unknown attribute in cert-issuer'],
    ['cert-subject CNclient1', q{'CNclient1'}, 'no = or ~'],
    ['cert-subject "CN~(unclosed"', q{missing closing parenthesis at offset},
     'bad regex, with the PCRE2 message and offset'],
    ['cert-subject', q{missing argument}, 'cert-subject without arguments'],
    ['cert-serial 10:0g', q{'10:0g' is not a hex serial}, 'bad hex serial'],
    ['cert-serial', q{missing argument}, 'cert-serial without arguments'],
    ['cert-fingerprint abcdef', q{'abcdef'}, 'fingerprint too short'],
    ['cert-fingerprint sha1:a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
     q{'sha1:a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'}, 'sha1 fingerprint'],
    ['cert-san rid:1.2.3', q{unknown SAN type 'rid' in 'rid:1.2.3'},
     'unknown SAN type'],
    ['cert-san ip:10.0.0.0/33', q{'ip:10.0.0.0/33'}, 'bad CIDR prefix'],
    ['cert-san ip:10.0.0.256', q{'ip:10.0.0.256'}, 'bad IP address'],
    ['cert-san dns:a.*.example.com', q{'dns:a.*.example.com'},
     'wildcard not the leftmost label'],
    ['cert-san', q{missing argument}, 'cert-san without arguments'],
    ['cert-subject CN=client1 "" O=Other', q{got ''},
     'an empty quoted argument (it must not hide the conditions after it)'],
    ['cert-serial 1001 ""', q{'' is not a hex serial}, 'an empty serial'],
    ['cert-valid yes', q{takes no arguments, got 'yes'},
     'an argument to cert-valid'],
);

plan tests => 1 + 2 * @bad;

sub configtest {
    my ($name, $require) = @_;
    my $file = "$logs/configtest-$name.conf";
    my @lines = (
        qq{ServerRoot "$top/t"},
        qq{Include "$top/t/modules.conf"},
        qq{LoadModule certauthz_module "$top/.libs/mod_certauthz.so"},
        qq{ServerName localhost},
        qq{Listen 127.0.0.1:9},
        qq{PidFile "$logs/configtest.pid"},
        qq{ErrorLog "$logs/configtest_error_log"},
        qq{<Location /x>},
        qq{    Require $require},
        qq{</Location>},
    );
    open my $fh, '>', $file or die "$file: $!";
    print $fh map { "$_\n" } @lines;
    close $fh;
    my $out = `'$httpd' -t -f '$file' 2>&1`;
    return ($? >> 8, $out, $file, 9);   # the Require is on line 9
}

my ($rc, $out) = configtest('good',
    'cert-subject "O=My Org" CN~^dev- 2.5.4.97=VAT1');
is($rc, 0, 'a well-formed Require line passes configtest')
    or diag($out);

my $n = 0;
for my $case (@bad) {
    my ($line, $token, $what) = @$case;
    my ($status, $text, $file, $lineno) = configtest('bad' . $n++, $line);
    isnt($status, 0, "configtest fails: $what");
    ok($text =~ /line \Q$lineno\E of \Q$file\E/ && index($text, $token) >= 0,
       "...naming the file, line $lineno and \"$token\"")
        or diag($text);
}
