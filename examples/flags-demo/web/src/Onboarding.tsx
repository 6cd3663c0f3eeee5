import React from "react";
import { useLDClient } from "launchdarkly-react-client-sdk";

export function Onboarding(): JSX.Element {
  const ldClient = useLDClient();
  const showNew = ldClient?.variation("new-onboarding", false);
  return (
    <div className="onboarding">
      {showNew && <NewOnboarding />}
      {!showNew && <ClassicOnboarding />}
      <Footer />
    </div>
  );
}

export function Reports(): JSX.Element {
  const ldClient = useLDClient();
  return ldClient?.variation("beta-reports", false) ? <BetaReports /> : <Reports />;
}

function NewOnboarding(): JSX.Element {
  return <p>new</p>;
}

function ClassicOnboarding(): JSX.Element {
  return <p>classic</p>;
}

function Footer(): JSX.Element {
  return <footer />;
}

function BetaReports(): JSX.Element {
  return <p>beta</p>;
}
