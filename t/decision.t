# decision, reason and rule describe what happened to the request; one
# refusal line per refused request; CertAuthzUser authenticates the device,
# so Require user / valid-user work on device ids.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use CertAuthzTest;
use JSON::PP ();
use MIME::Base64 ();

plan tests => 34;

my $log = Apache::Test::vars('t_logs') . '/decision.log';

# logged(PATH, %opts) -> {res, fields => [uri, status, user, decision, reason, rule], err}
sub logged {
    my ($path, %o) = @_;
    my $off = -s $log || 0;
    my $emark = error_log_mark();
    my $res = get_response('certauthz_decision', $path, %o);
    return { res => $res, fields => [log_fields($log, $off, $path)],
             err => error_log_since($emark) };
}

sub summary { join '|', @{ $_[0]{fields} }[1, 3, 4, 5] }
sub denials { scalar(() = $_[0]{err} =~ /CERTAUTHZ0002: denied/g) }

my $l;

# Require not: a certificate that matches what the line excludes.
$l = logged('/d/not-x', cert => 'client');
is(summary($l), '403|denied|no-match|not cert-subject CN=client1',
   'RequireAll all granted + Require not: the excluded device is refused and logged '
   . 'denied, no-match, by the not line (never granted)');
is(denials($l), 1, '...one refusal line in the error log');
$l = logged('/d/not-x', cert => 'client2');
is(summary($l), '200|granted|ok|-',
   '...another device is let in: granted (no cert-* line granted it: rule -)');
is(denials($l), 0, '...and no refusal is logged');
$l = logged('/d/not-x');
is(summary($l), '200|granted|ok|-',
   '...and so is a client without a certificate (the documented trap)');

# RequireNone inside RequireAll.
$l = logged('/d/none-x', cert => 'client');
is($l->{res}->code, 403, 'RequireNone excluding client1: refused');
is(summary($l) =~ /^403\|denied\|/ ? 1 : 0, 1, '...and logged denied');
$l = logged('/d/none-x', cert => 'client2');
is(summary($l), '200|granted|ok|cert-valid', '...client2 granted by cert-valid');

# RequireAny: a refusing line and a granting one.
$l = logged('/d/any', cert => 'client');
is(summary($l), '200|granted|ok|cert-valid',
   'RequireAny: the line that let the request in is the rule');
is(denials($l), 0, '...no refusal logged for a request that was let in');
$l = logged('/d/any-ip', cert => 'client');
is(summary($l), '200|granted|ok|-',
   'RequireAny let in by Require ip after a cert-* refusal: granted');
is(denials($l), 0, '...and no refusal logged');

# RequireAll with two refusing lines: one refusal line.
$l = logged('/d/all', cert => 'client');
is(summary($l), '403|denied|no-match|cert-subject O=NoSuchOrg',
   'RequireAll: refused by the first refusing line');
is(denials($l), 1, '...one refusal line per refused request');
$l = logged('/d/all');
is(summary($l), '403|denied|no-cert|cert-valid', '...without a certificate: no-cert');

# CertAuthzUser: the device is the authenticated user.
$l = logged('/d/user', cert => 'client');
is($l->{res}->code, 200, 'CertAuthzUser On + Require user client1: client1 is let in');
is($l->{fields}[2], 'client1', '...as user client1 (%u)');
$l = logged('/d/user', cert => 'client2');
is($l->{res}->code, 403, '...client2 is refused (403, not 401)');
is($l->{fields}[2], 'client2', '...as user client2');
$l = logged('/d/user');
is($l->{res}->code, 403,
   '...a client without a certificate gets 403 (not mod_authn_core\'s 500)');
like($l->{err}, qr/CERTAUTHZ0003: denied: no device for CertAuthzUser \(reason=no-cert\)/,
     '...and the refusal says why');
$l = logged('/d/user', cert => 'id_revoked');
is($l->{res}->code, 403, '...a revoked device is no user');
is(get_status('certauthz_decision', '/d/valid-user', cert => 'client2'), 200,
   'Require valid-user: any device with an established identity');
$l = logged('/d/nul-user', cert => 'nulcl');
is($l->{res}->code, 403, 'a device id holding a NUL byte is never a user name ("nul\\0..." is not "nul")');
is($l->{fields}[2], '-', '...%u stays -');

# AuthType Basic beside CertAuthzUser: a certificate needs no password.
$l = logged('/d/basic', cert => 'client');
is($l->{res}->code, 200, 'AuthType Basic + CertAuthzUser: a device gets in without a password');
is($l->{fields}[2], 'client1', '...as its device id');
$l = logged('/d/basic');
is($l->{res}->code, 401, '...a client without a certificate is asked for a password');
$l = logged('/d/basic', headers => { Authorization => 'Basic ' . MIME::Base64::encode_base64('admin:secret', '') });
is($l->{res}->code, 200, '...and the password still works');
is($l->{fields}[2], 'admin', '...as the password user');

# A line that cannot tell (a regex past its match limit on this CN): 500
# with CERTAUTHZ0004 naming the line, alone and under "Require not" (a
# refusal there would have been turned into a grant); a certificate the
# regex fails on quickly is judged as usual.
$l = logged('/d/bomb', cert => 'newlinecl');
is($l->{res}->code, 500, 'a regex past its limit: 500, not a grant or a refusal');
like($l->{err}, qr/CERTAUTHZ0004: "cert-subject .*CN~.*": cannot tell whether the certificate matches/,
     '...and the error log names the line');
is(logged('/d/not-bomb', cert => 'newlinecl')->{res}->code, 500,
   '...under Require not as well');
is(logged('/d/not-bomb', cert => 'client')->{res}->code, 200,
   'the same negated line on a short CN decides as usual');
