# spec.auth: members check every request against the policy and take real service-account tokens
# (the TokenRequest API), verified against the apiserver's real JWKS; the operator keeps its admin
# token in a Secret and writes the default policy; a sidecar shows its pod's projected token, reads
# its namespace's config, registers its own presence, and is refused another namespace's config.
api=$(k config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
# The default jwksUrl is kubernetes.default.svc, a ClusterIP, which nothing serves here.
sed "s|# jwksUrl: .*|jwksUrl: $api/openid/v1/jwks|" "$REPO/examples/auth/cairncluster.yaml" | k apply -f - >/dev/null
wait_for 300 "three members that enforce their policy are Ready" pods_ready default app.kubernetes.io/instance=guarded 3
wait_for 120 "Available=True (the operator reads the cluster with its own token)" eq True condition guarded Available
wait_for 120 "PolicyApplied=True: the default policy and the spec's rule are in the tree" eq True condition guarded PolicyApplied
admin=$(k get secret guarded-auth -o 'jsonpath={.data.token}' | base64 -d)
as_admin() { CAIRN_TOKEN=$admin cairn_on guarded "$@"; }
rules=$(as_admin acl list)
[ "$(grep -c . <<<"$rules")" = 3 ] || fail "the policy is not the operator's three rules: $rules"
as_admin set /config/default/inventory/mode fast >/dev/null
as_admin set /config/kube-system/vault/key s3cret >/dev/null
if cairn_on guarded get /config/default/inventory/mode >/dev/null 2>&1; then fail "an anonymous client read config"; fi
step "an anonymous client is refused; the operator's token is admin"

# Tokens from the TokenRequest API, as a pod's projected volume gets them.
tok=$(k create token default --audience cairn --duration 10m)
[ "$(CAIRN_TOKEN=$tok cairn_on guarded whoami | head -1)" = system:serviceaccount:default:default ] \
  || fail "whoami with a real token: $(CAIRN_TOKEN=$tok cairn_on guarded whoami 2>&1)"
[ "$(CAIRN_TOKEN=$tok cairn_on guarded get /config/default/inventory/mode)" = fast ] || fail "default's token cannot read default's config"
err=$(CAIRN_TOKEN=$tok cairn_on guarded get /config/kube-system/vault/key 2>&1) && fail "default's token read kube-system's config"
grep -q "lacks the read right on /config/kube-system/vault/key" <<<"$err" || fail "refusal without the reason: $err"
err=$(CAIRN_TOKEN=$tok cairn_on guarded set /config/default/inventory/mode slow 2>&1) && fail "a service account wrote config"
grep -q "lacks the write right" <<<"$err" || fail "refusal without the reason: $err"
other=$(k create token default --audience vault --duration 10m)
err=$(CAIRN_TOKEN=$other cairn_on guarded get /config/default/inventory/mode 2>&1) && fail "a token for another audience was accepted"
grep -q 'not for audience "cairn"' <<<"$err" || fail "wrong audience refused without the reason: $err"
step "real tokens: read of its namespace only, no writes, another audience refused (checked against the apiserver's JWKS)"

k apply -f "$REPO/examples/auth/app-deployment.yaml" >/dev/null
wait_for 300 "the inventory pod (sidecar with its projected token) is Ready" pods_ready default app=inventory 1
p=$(k get pods -l app=inventory -o 'jsonpath={.items[0].metadata.name}')
[ "$(jp "pod/$p" '{.spec.volumes[?(@.name=="cairn-token")].projected.sources[0].serviceAccountToken.audience}')" = cairn ] \
  || fail "the webhook did not mount a token for audience cairn: $(jp "pod/$p" '{.spec.volumes}')"
wait_for 60 "its config was rendered under the policy" eq fast pod_exec default "$p" inventory cat /etc/inventory/mode
wait_for 60 "its presence /presence/default/inventory/$p" as_admin get "/presence/default/inventory/$p"
as_admin history "/presence/default/inventory/$p" | grep -q " system:serviceaccount:default:default$" \
  || fail "the presence's history does not name the pod's identity: $(as_admin history "/presence/default/inventory/$p")"
as_admin set /config/default/inventory/mode slow >/dev/null
wait_for 30 "a change reaches the file" eq slow pod_exec default "$p" inventory cat /etc/inventory/mode
step "the sidecar read its config and wrote its presence as system:serviceaccount:default:default"

# The same app pointed at another namespace's config: its init container is refused, with the reason.
sed -e 's/name: inventory$/name: snoop/' -e 's/app: inventory$/app: snoop/' -e 's|/config/default/inventory|/config/kube-system/vault|' \
  "$REPO/examples/auth/app-deployment.yaml" | k apply -f - >/dev/null
wait_for 120 "the snooping pod exists" nonempty k get pods -l app=snoop -o 'jsonpath={.items[0].metadata.name}'
s=$(k get pods -l app=snoop -o 'jsonpath={.items[0].metadata.name}')
wait_for 120 "its cairn-init names the missing right" grep -q "lacks the read right on /config/kube-system/vault" "$(pod_dir default "$s")/cairn-init.log"
[ "$(jp "pod/$s" '{.status.conditions[?(@.type=="Ready")].status}')" != True ] || fail "the snooping pod became Ready"
if pod_exec default "$s" snoop ls /etc/inventory/key >/dev/null 2>&1; then fail "the snooping pod has the other namespace's config"; fi
step "a pod watching another namespace's config is refused at init (PERMISSION_DENIED, the right named)"

k delete deployment inventory snoop --ignore-not-found >/dev/null
k patch cairncluster guarded --type merge -p '{"spec":{"storage":{"deleteVolumesWithCluster":true}}}' >/dev/null
k delete cairncluster guarded --wait=false >/dev/null
wait_for 180 "guarded: its objects and Secret are garbage-collected" gone statefulset/guarded secret/guarded-auth
